import { z } from 'zod';

/** A schema for JSON text: parses it and validates the value in one step, never throwing. */
export function parseJsonText<T>(schema: z.ZodType<T>, text: string): T | null {
  const result = z
    .string()
    .transform((value, context): unknown => {
      try {
        return JSON.parse(value);
      } catch {
        context.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema)
    .safeParse(text);
  return result.success ? result.data : null;
}
