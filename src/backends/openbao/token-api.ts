/** The token and bootstrap calls (auth/token/*, sys/*) over the driver's HTTP client. */
import type {TokenApi} from '../../rotation/rotate-token.js'
import type {BootstrapApi} from '../../bootstrap/bootstrap-openbao.js'
import type {OpenBaoClient} from './openbao-http-client.js'

export function tokenApi(client: OpenBaoClient): TokenApi {
  return {call: (method, path, token, body) => client.request(method, path, {token, body, idempotent: method === 'GET'})}
}

export function bootstrapApi(client: OpenBaoClient): BootstrapApi {
  return {
    ...tokenApi(client),
    health: () => client.request('GET', 'sys/health', {withNamespace: false, idempotent: true, transientStatuses: false}),
  }
}
