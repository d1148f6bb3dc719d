import { historyCsvResponse } from '../../_data/history';

/** GET /api/history.csv?by=day|month[&net=ID]: totals per period, network and interface for the last 12 months. */
export const GET = historyCsvResponse;
