/**
 * Reads a secret-level `envFile` (dotenv syntax, parsed by the `dotenv` package). Shared by the
 * loader, which needs only the key names, and by value resolution, which needs the values.
 */
import {readFile} from 'node:fs/promises'
import {parse} from 'dotenv'

/** Key → value of the dotenv file at `absPath`; throws the file system's error when unreadable. */
export async function readEnvFile(absPath: string): Promise<Record<string, string>> {
  const text = await readFile(absPath, 'utf8')
  return {...parse(text)}
}
