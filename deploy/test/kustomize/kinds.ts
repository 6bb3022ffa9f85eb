// What the renderer knows about Kubernetes kinds: which are namespaced, where a kind keeps its pod
// template and its label templates. A kind missing here is refused (its scope and references
// are unknown), not guessed.
import { UnsupportedKustomizeFeature } from './errors.ts';
import { isObject, type Json, type JsonObject } from './json.ts';

const NAMESPACED = new Set([
  'ConfigMap',
  'Secret',
  'Service',
  'ServiceAccount',
  'PersistentVolumeClaim',
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'Ingress',
  'LimitRange',
  'ResourceQuota',
]);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ClusterRole',
]);

export function isNamespaced(kind: string): boolean {
  if (NAMESPACED.has(kind)) return true;
  if (CLUSTER_SCOPED.has(kind)) return false;
  throw new UnsupportedKustomizeFeature(`kind ${kind}`);
}

/** Paths (from the resource's root) of the label maps `labels: includeTemplates: true` also sets. */
export function templateLabelPaths(kind: string): string[][] {
  switch (kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'ReplicationController':
    case 'Job':
      return [['spec', 'template', 'metadata', 'labels']];
    case 'StatefulSet':
      return [
        ['spec', 'template', 'metadata', 'labels'],
        ['spec', 'volumeClaimTemplates', '*', 'metadata', 'labels'],
      ];
    case 'CronJob':
      return [
        ['spec', 'jobTemplate', 'metadata', 'labels'],
        ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
      ];
    default:
      return [];
  }
}

/** The pod spec of a workload (or a Pod), if it has one. */
export function podSpecOf(resource: JsonObject): JsonObject | undefined {
  const at = (...path: string[]): JsonObject | undefined => {
    let node: Json | undefined = resource;
    for (const key of path) node = isObject(node) ? node[key] : undefined;
    return isObject(node) ? node : undefined;
  };
  switch (resource.kind) {
    case 'Pod':
      return at('spec');
    case 'CronJob':
      return at('spec', 'jobTemplate', 'spec', 'template', 'spec');
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return at('spec', 'template', 'spec');
    default:
      return undefined;
  }
}

/** Kinds whose spec.replicas the `replicas:` field sets. */
export const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

export const objects = (value: Json | undefined): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

export const containersOf = (pod: JsonObject): JsonObject[] => [
  ...objects(pod.initContainers),
  ...objects(pod.containers),
  ...objects(pod.ephemeralContainers),
];

/**
 * Every place a pod spec names a ConfigMap or Secret, as [holder, field, kind]: renaming a
 * generated one (hash suffix) rewrites these, as kustomize's name-reference transformer does.
 */
export function nameReferences(pod: JsonObject): [JsonObject, string, 'ConfigMap' | 'Secret'][] {
  const refs: [JsonObject, string, 'ConfigMap' | 'Secret'][] = [];
  for (const container of containersOf(pod)) {
    for (const from of objects(container.envFrom)) {
      if (isObject(from.configMapRef)) refs.push([from.configMapRef, 'name', 'ConfigMap']);
      if (isObject(from.secretRef)) refs.push([from.secretRef, 'name', 'Secret']);
    }
    for (const env of objects(container.env)) {
      const valueFrom = env.valueFrom;
      if (!isObject(valueFrom)) continue;
      if (isObject(valueFrom.configMapKeyRef)) refs.push([valueFrom.configMapKeyRef, 'name', 'ConfigMap']);
      if (isObject(valueFrom.secretKeyRef)) refs.push([valueFrom.secretKeyRef, 'name', 'Secret']);
    }
  }
  for (const volume of objects(pod.volumes)) {
    if (isObject(volume.configMap)) refs.push([volume.configMap, 'name', 'ConfigMap']);
    if (isObject(volume.secret)) refs.push([volume.secret, 'secretName', 'Secret']);
    if (isObject(volume.projected)) {
      for (const source of objects(volume.projected.sources)) {
        if (isObject(source.configMap)) refs.push([source.configMap, 'name', 'ConfigMap']);
        if (isObject(source.secret)) refs.push([source.secret, 'name', 'Secret']);
      }
    }
  }
  for (const secret of objects(pod.imagePullSecrets)) refs.push([secret, 'name', 'Secret']);
  return refs;
}
