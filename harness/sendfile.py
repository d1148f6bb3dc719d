#!/usr/bin/env python3
# Sends SIZE bytes of a file with sendfile(2), as a web or file server uploads: writes the
# file at PATH first, connects to HOST PORT, sendfile()s it, then waits for the peer to close.
#   sendfile.py HOST PORT PATH SIZE
import os
import socket
import sys

host, port, path, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with open(path, 'wb') as f:
    f.write(b'a' * size)
family = socket.AF_INET6 if ':' in host else socket.AF_INET
with socket.socket(family, socket.SOCK_STREAM) as s, open(path, 'rb') as f:
    s.connect((host, port))
    sent = 0
    while sent < size:
        n = os.sendfile(s.fileno(), f.fileno(), sent, size - sent)
        if n == 0:
            break
        sent += n
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
print('{"event": "sent", "bytes": %d}' % sent)
os.unlink(path)
