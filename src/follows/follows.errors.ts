import { ValidationFailedError } from '../common/domain-error.js';

export class CannotFollowSelfError extends ValidationFailedError {
  constructor() {
    super('you cannot follow yourself', 'profile');
  }
}
