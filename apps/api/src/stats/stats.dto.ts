import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOmittable } from '../http/omittable';
import { PageQueryDto } from '../views/views.dto';
import { KPI_WINDOWS, type KpiWindowName } from './kpi-window';

export class KpiWindowQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: KPI_WINDOWS,
    default: 'today',
    description: 'The last 15 minutes, the last hour, or since midnight in KPI_TIME_ZONE',
  })
  @IsOmittable()
  @IsIn(KPI_WINDOWS)
  window?: KpiWindowName;
}
