import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireAdmin } from '../auth/admin.guard.js';
import { SetRoleRequest, UserRoleResponse } from './role.dto.js';
import { UserRolesService } from './user-roles.service.js';

/** Extension: admins make and unmake admins (the other way is `npm run admin:grant`). */
@ApiTags('Admin')
@Controller('admin/users')
@RequireAdmin()
export class AdminUsersController {
  constructor(private readonly roles: UserRolesService) {}

  @Put(':username/role')
  @ApiOkResponse({ type: UserRoleResponse })
  async setRole(
    @Param('username') username: string,
    @Body() body: SetRoleRequest,
  ): Promise<UserRoleResponse> {
    await this.roles.setRole(username, body.role);
    return { user: { username, role: body.role } };
  }
}
