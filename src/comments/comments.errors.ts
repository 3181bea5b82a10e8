import { NotFoundError } from '../common/domain-error.js';

export class CommentNotFoundError extends NotFoundError {
  constructor() {
    super('comment not found');
  }
}
