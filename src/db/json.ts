/**
 * A `json` column as both drivers return it: node-postgres and PGlite parse it, but a value that
 * reaches the client as text (a driver without the type's parser) is parsed here. For the
 * statements that fold several reads into one with `json_agg` and `json_build_object`.
 */
export function jsonColumn<T>(value: string | T): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
