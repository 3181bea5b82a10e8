import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProfileView } from '../../profiles/profile.dto.js';

export class ArticleView {
  @ApiProperty() slug: string;
  @ApiProperty() title: string;
  @ApiProperty() description: string;
  @ApiPropertyOptional({ description: 'Left out of lists' }) body?: string;
  @ApiProperty({ type: [String] }) tagList: string[];
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty() favorited: boolean;
  @ApiProperty() favoritesCount: number;
  @ApiProperty({
    description:
      'Extension: views. A single article counts every view so far; list items the views flushed to the database (at most VIEWS_FLUSH_INTERVAL_MS old)',
  })
  viewsCount: number;
  @ApiProperty({ type: ProfileView }) author: ProfileView;
}

export class SingleArticleResponse {
  @ApiProperty({ type: ArticleView }) article: ArticleView;
}

export class MultipleArticlesResponse {
  @ApiProperty({ type: [ArticleView] }) articles: ArticleView[];
  @ApiProperty() articlesCount: number;
}
