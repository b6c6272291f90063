/** An identifier as the model, the config and the wire accept it (a door, a key, a gateway, ...). */
import { z } from 'zod';

export const IdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may contain only letters, digits and . _ : @ -');
