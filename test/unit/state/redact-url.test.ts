import {describe, expect, it} from 'vitest'
import {redactUrl} from '../../../src/state/redact-url.js'

describe('redactUrl', () => {
  it('masks the password and keeps user, host, port and database', () => {
    expect(redactUrl('postgres://bob:s3cr3t@db.example:5432/state')).toBe('postgres://bob:***@db.example:5432/state')
  })
  it('masks percent-encoded passwords and password query parameters', () => {
    const out = redactUrl('postgresql://bob:p%40ss@h/d?sslmode=require&password=hunter2')
    expect(out).toBe('postgresql://bob:***@h/d?sslmode=require&password=***')
    expect(out).not.toContain('hunter2')
    expect(out).not.toContain('p%40ss')
  })
  it('leaves URLs without a password alone', () => {
    expect(redactUrl('postgres://db/state')).toBe('postgres://db/state')
    expect(redactUrl('sqlite:/var/lib/state.db')).toBe('sqlite:/var/lib/state.db')
  })
  it('masks what URL cannot parse by pattern', () => {
    expect(redactUrl('host=db password=hunter2 user=x')).toBe('host=db password=*** user=x')
  })
})
