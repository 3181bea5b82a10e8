import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { UserRole } from './user.entity.js';

const ROLES: UserRole[] = ['user', 'admin'];

export class SetRoleRequest {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: 'role must be "user" or "admin"' })
  role: UserRole;
}

export class UserRoleView {
  @ApiProperty() username: string;
  @ApiProperty({ enum: ROLES }) role: UserRole;
}

export class UserRoleResponse {
  @ApiProperty({ type: UserRoleView }) user: UserRoleView;
}
