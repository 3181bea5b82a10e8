import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsDefined,
  IsEmail,
  IsNotEmpty,
  IsObject,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { OptionalNotNull } from '../common/optional.js';
import { IsCleanText } from '../common/text.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const normalizeEmail = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

/** Letters, digits, `_`, `-` and `.`: usernames appear in URLs. */
const USERNAME = /^[\p{L}\p{N}_.-]+$/u;
const USERNAME_MESSAGE = 'username may contain only letters, digits, "_", "-" and "."';

export class NewUser {
  @ApiProperty({ example: 'jake' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  @Matches(USERNAME, { message: USERNAME_MESSAGE })
  username: string;

  @ApiProperty({ example: 'jake@jake.jake' })
  @Transform(normalizeEmail)
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'jakejake', minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  @IsCleanText()
  password: string;
}

export class LoginUser {
  @ApiProperty({ example: 'jake@jake.jake' })
  @Transform(normalizeEmail)
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'jakejake' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password: string;
}

export class UpdateUser {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @Transform(normalizeEmail)
  @IsString()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  @Matches(USERNAME, { message: USERNAME_MESSAGE })
  username?: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  @IsCleanText()
  password?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsString()
  @MaxLength(1000)
  @IsCleanText()
  bio?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://example.com/me.png',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined && value !== '')
  @IsString()
  @MaxLength(1000)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true },
    { message: 'image must be an http(s) URL' },
  )
  image?: string | null;
}

export class NewUserRequest {
  @ApiProperty({ type: NewUser })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewUser)
  user: NewUser;
}

export class LoginUserRequest {
  @ApiProperty({ type: LoginUser })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => LoginUser)
  user: LoginUser;
}

export class UpdateUserRequest {
  @ApiProperty({ type: UpdateUser })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateUser)
  user: UpdateUser;
}

export class UserView {
  @ApiProperty() email: string;
  @ApiProperty() token: string;
  @ApiProperty() username: string;
  @ApiProperty({ type: String, nullable: true }) bio: string | null;
  @ApiProperty({ type: String, nullable: true }) image: string | null;
}

export class UserResponse {
  @ApiProperty({ type: UserView }) user: UserView;
}
