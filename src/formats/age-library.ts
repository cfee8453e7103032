/**
 * typage (`age-encryption`), loaded when a run first opens an age or SOPS file or reads age identities:
 * with the curves and the post-quantum KEM it brings, it was a sixth of the code every command loaded,
 * and most runs open no such file.
 */
export type AgeLibrary = typeof import('age-encryption')

let loading: Promise<AgeLibrary> | undefined

export function loadAge(): Promise<AgeLibrary> {
  loading ??= import('age-encryption')
  return loading
}
