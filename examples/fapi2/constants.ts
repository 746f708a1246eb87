/**
 * What the demo's client and API agree on, kept apart from the server so that the client runs
 * without loading tokenwarden.
 */
export const CLIENT_ID = 'fapi-demo-client';
export const API_AUDIENCE = 'https://api.example.test';
