/** RFC 9457 problem details body (documentation of every refusal's shape). */
import { Type } from '@sinclair/typebox';

export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
}, { additionalProperties: true });
