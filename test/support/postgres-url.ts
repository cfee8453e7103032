/** The URL of database `db` on the server of `url`, optionally as another user: for the tests that make a database or role of their own. */
export function withDb(url: string, db: string, user?: {name: string; password: string}): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  if (user) {
    u.username = user.name
    u.password = user.password
  }
  return u.toString()
}
