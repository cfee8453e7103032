/**
 * `secretctl import kubernetes --backend NAME [--namespace N] [--selector S]`: the Secrets already
 * in the backend's namespace (those a label selector picks, when given), adopted where they are,
 * including Secrets secretctl did not create. Ownership is settled at import, not left to a later
 * apply: the import marks each such Secret as secretctl's, as apply would have written it (the
 * ownership labels and the fingerprint annotation, by a merge patch of its metadata at the
 * resourceVersion it was read at; its data is not touched). From then on plan, prune and moves
 * treat it as one secretctl wrote, and the manifest stays placement-only without `adopt: true`.
 * This needs the `patch` verb on secrets.
 *
 * Skipped, with why: a Secret of another type than the backend's (secretctl would rewrite its type,
 * which Kubernetes refuses), one whose name no secret name gives under the backend's
 * nameTemplate, and one another secretctl backend wrote.
 */
import {UsageError} from '../../errors.js'
import {isValidName} from '../../import/import-names.js'
import type {BackendDriver} from '../driver.js'
import type {BackendImport, ImportCandidates, ImportOptions} from '../kind.js'
import {BACKEND_LABEL, MANAGED_BY, MANAGED_BY_LABEL, ownedBySecretctl} from './kubernetes-config.js'
import type {KubernetesDriver} from './kubernetes-driver.js'

export const kubernetesImport: BackendImport = {
  async find(driver: BackendDriver, options: ImportOptions): Promise<ImportCandidates> {
    const kube = driver as KubernetesDriver
    const namespace = kube.namespace()
    if (options.namespace !== undefined && options.namespace !== namespace) {
      throw new UsageError(
        `backend ${driver.name} keeps its Secrets in namespace ${namespace}, not ${options.namespace}`,
        `declare a kubernetes backend with config.namespace: ${options.namespace}, apply it, and import with --backend set to it`,
      )
    }
    const labelSelector = options.selector
    const type = kube.secretType()
    const [all, typed] = await Promise.all([
      kube.listObjects({labelSelector}),
      kube.listObjects({labelSelector, fieldSelector: `type=${type}`}),
    ])
    const ofType = new Set(typed.map((o) => o.name))
    const out: ImportCandidates = {
      origin: `namespace ${namespace}${labelSelector ? ` (selector ${labelSelector})` : ''}`,
      found: [],
      skipped: [],
    }
    for (const o of [...all].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const sourceName = `${namespace}/${o.name}`
      const skip = (reason: string) => out.skipped.push({sourceName, reason})
      const name = kube.secretNameOf(o.name)
      const writer = o.labels[MANAGED_BY_LABEL] === MANAGED_BY ? o.labels[BACKEND_LABEL] : undefined
      if (!ofType.has(o.name))
        skip(`not of type ${type}, the backend's type: secretctl would write it as ${type}, which Kubernetes refuses`)
      else if (name === undefined) skip(`no secret name gives this Secret name under the backend's nameTemplate`)
      else if (!isValidName(name)) skip(`${name} is not a valid secretctl name, and the backend finds a Secret by its secret's name`)
      else if (writer !== undefined && writer !== driver.name) skip(`secretctl's backend ${writer} wrote it`)
      else
        out.found.push({
          sourceName,
          name,
          externalRef: kube.refFor(name),
          claim: !(writer === driver.name && ownedBySecretctl(o.labels, name)),
        })
    }
    return out
  },

  claim(driver, secretName, fingerprints, version) {
    return (driver as KubernetesDriver).claim(secretName, fingerprints, version)
  },
}
