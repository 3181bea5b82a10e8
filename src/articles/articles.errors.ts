import { ForbiddenError, NotFoundError } from '../common/domain-error.js';

export class ArticleNotFoundError extends NotFoundError {
  constructor() {
    super('article not found');
  }
}

export class NotTheAuthorError extends ForbiddenError {
  constructor(what = 'article') {
    super(`only the author may change this ${what}`);
  }
}
