-- The Icon= of an app's .desktop entry (a theme icon name or an absolute path), kept
-- beside the entry's Name= the collector already stores as the app's name.
ALTER TABLE apps ADD COLUMN icon TEXT;
