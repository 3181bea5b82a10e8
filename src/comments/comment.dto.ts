import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsNotEmpty,
  IsObject,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsCleanText } from '../common/text.js';
import { ProfileView } from '../profiles/profile.dto.js';

export class NewComment {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(10_000) @IsCleanText() body: string;
}

export class NewCommentRequest {
  @ApiProperty({ type: NewComment })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewComment)
  comment: NewComment;
}

export class CommentView {
  @ApiProperty() id: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: ProfileView }) author: ProfileView;
}

export class SingleCommentResponse {
  @ApiProperty({ type: CommentView }) comment: CommentView;
}

export class MultipleCommentsResponse {
  @ApiProperty({ type: [CommentView] }) comments: CommentView[];
}
