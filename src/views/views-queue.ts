/** The views module's queue: the repeatable views flush (ViewsCounter schedules it). */
export const VIEWS_QUEUE = 'views';
export const VIEWS_FLUSH_JOB = 'flush';
