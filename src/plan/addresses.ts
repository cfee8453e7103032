/** Addresses name what a change is about (`backend.bao`, `secret.github`, `backend.bao.token`), as Terraform's do. */

export function secretAddress(name: string): string {
  return `secret.${name}`
}

export function backendAddress(name: string): string {
  return `backend.${name}`
}

export function tokenAddress(backend: string): string {
  return `${backendAddress(backend)}.token`
}

/** Does `address` fall under a `--target`? A target names an address or any address below it. */
export function matchesTarget(address: string, target: string): boolean {
  return address === target || address.startsWith(`${target}.`)
}
