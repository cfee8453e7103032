/** Small builders for manifest YAML used by the end-to-end tests. */

export function plaintextBackend(name: string, extra = ''): string {
  return `kind: SecretBackend\nname: ${name}\ntype: plaintext\n${extra}`
}

export function envSecret(name: string, keys: Record<string, string>, opts: {backend?: string; keepSource?: boolean} = {}): string {
  const lines = [`kind: Secret`, `name: ${name}`]
  if (opts.backend) lines.push(`backend: ${opts.backend}`)
  if (opts.keepSource) lines.push(`keepSource: true`)
  lines.push('data:')
  for (const [key, variable] of Object.entries(keys)) lines.push(`  ${key}: { fromEnv: ${variable} }`)
  return lines.join('\n') + '\n'
}

export function docs(...documents: string[]): string {
  return documents.join('---\n')
}
