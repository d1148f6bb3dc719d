import { alertsFeedResponse } from '../../_data/alerts';

/** GET /api/alerts[?after=ID]: alerts recorded after an id, for the open dashboard's notifications. */
export const GET = alertsFeedResponse;
