/**
 * `secretctl render` output: objects as a YAML stream (`---` between documents, each after its
 * comment lines) for `kubectl apply -f -` and GitOps repositories, or as JSON: a `v1 List` of
 * Kubernetes objects (which kubectl applies as well), or an array of the fragments otherwise.
 */
import {stringify} from 'yaml'

export interface RenderedDocument {
  object: Record<string, unknown>
  /** Shown above the document in YAML (`# …`); a `comment` field in JSON fragments. */
  comment?: string
}

const isKubernetesObject = (o: Record<string, unknown>) => typeof o.apiVersion === 'string' && typeof o.kind === 'string'

export function renderDocuments(documents: RenderedDocument[], format: 'yaml' | 'json'): string {
  if (format === 'json') {
    const value = documents.every((d) => isKubernetesObject(d.object))
      ? {apiVersion: 'v1', kind: 'List', items: documents.map((d) => d.object)}
      : documents.map((d) => ({...(d.comment ? {comment: d.comment} : {}), ...d.object}))
    return `${JSON.stringify(value, null, 2)}\n`
  }
  return documents
    .map((d) => `${d.comment ? `${d.comment.replace(/^/gm, '# ')}\n` : ''}${stringify(d.object, {lineWidth: 0})}`)
    .join('---\n')
}
