import { ValidationFailedError } from '../common/domain-error.js';

export class EmailTakenError extends ValidationFailedError {
  constructor() {
    super('has already been taken', 'email');
  }
}

export class UsernameTakenError extends ValidationFailedError {
  constructor() {
    super('has already been taken', 'username');
  }
}
