{{/*
Names, labels and the per-service configuration shared by every template.

Per-service templates take a context dict:
  root  the top-level context ($)
  name  the service name, the key under .Values.services (e.g. "device-gateway")
  svc   the merged configuration: .Values.defaults deep-merged with .Values.services.<name>
*/}}

{{- define "fieldline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<chart>, or <release> when it already contains the chart name; max 63 chars. */}}
{{- define "fieldline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
<fullname>-<name><suffix>, max 63 chars. Only the fullname is cut, never the service name
or suffix, so names stay distinct however long the release name.
Context: dict root name [suffix]
*/}}
{{- define "fieldline.resourceName" -}}
{{- $tail := printf "-%s%s" .name (.suffix | default "") -}}
{{- printf "%s%s" (include "fieldline.fullname" .root | trunc (int (sub 63 (len $tail))) | trimSuffix "-") $tail -}}
{{- end -}}

{{- define "fieldline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The image tag in use (tag, else appVersion). */}}
{{- define "fieldline.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- end -}}

{{- define "fieldline.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "fieldline.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of the whole release (immutable). Context: root ($). */}}
{{- define "fieldline.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "fieldline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one component (immutable subset). Context: dict root component. */}}
{{- define "fieldline.selectorLabels" -}}
{{ include "fieldline.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Recommended labels. Context: dict root component. */}}
{{- define "fieldline.labels" -}}
helm.sh/chart: {{ include "fieldline.chart" .root }}
{{ include "fieldline.selectorLabels" . }}
app.kubernetes.io/version: {{ regexReplaceAll "[^A-Za-z0-9._-]" (include "fieldline.imageTag" .root) "_" | trunc 63 | trimAll "-_." | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: fieldline
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Python module of a service: fieldline_<name with - as _>. */}}
{{- define "fieldline.module" -}}
{{- printf "fieldline_%s" (.name | replace "-" "_") -}}
{{- end -}}

{{/* Environment variable prefix of a service: upper-case name with - as _. */}}
{{- define "fieldline.envPrefix" -}}
{{- .name | replace "-" "_" | upper -}}
{{- end -}}

{{/*
Deep merge returning JSON: maps merge recursively, everything else (lists, scalars,
false, 0, null) in .src replaces .dst. Sprig's merge/mergeOverwrite cannot be used:
they ignore false/0/"" in the overriding map, so `enabled: false` could not override a default.
*/}}
{{- define "fieldline.deepMerge" -}}
{{- $out := deepCopy (.dst | default dict) -}}
{{- range $k, $v := (.src | default dict) -}}
{{- $cur := get $out $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $cur) -}}
{{- $_ := set $out $k (include "fieldline.deepMerge" (dict "dst" $cur "src" $v) | fromJson) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Merged configuration of one service as JSON. Context: dict root name. */}}
{{- define "fieldline.svcConfig" -}}
{{- $raw := index .root.Values.services .name -}}
{{- include "fieldline.deepMerge" (dict "dst" .root.Values.defaults "src" $raw) -}}
{{- end -}}

{{/* The port name and number the service serves its API on. Context: svc ctx. */}}
{{- define "fieldline.appPortName" -}}
{{- if eq .svc.kind "http" -}}http{{- else -}}grpc{{- end -}}
{{- end -}}

{{- define "fieldline.appPort" -}}
{{- if eq .svc.kind "http" -}}{{ .svc.ports.http | int }}{{- else -}}{{ .svc.ports.grpc | int }}{{- end -}}
{{- end -}}

{{/* Whether the service gets a DSN and a migration hook: "true" or "". Context: svc ctx. */}}
{{- define "fieldline.hasDatabase" -}}
{{- if and .svc.database .svc.database.enabled -}}true{{- end -}}
{{- end -}}

{{/* Name of the Secret holding the DSN. Context: svc ctx. */}}
{{- define "fieldline.dbSecretName" -}}
{{- if and .svc.database.existingSecret (not .svc.database.url) -}}
{{- .svc.database.existingSecret -}}
{{- else -}}
{{- include "fieldline.resourceName" (dict "root" .root "name" .name "suffix" "-db") -}}
{{- end -}}
{{- end -}}

{{- define "fieldline.serviceAccountName" -}}
{{- if .svc.serviceAccount.create -}}
{{- .svc.serviceAccount.name | default (include "fieldline.resourceName" .) -}}
{{- else -}}
{{- .svc.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "fieldline.hooksServiceAccountName" -}}
{{- if .Values.hooks.serviceAccount.create -}}
{{- .Values.hooks.serviceAccount.name | default (include "fieldline.resourceName" (dict "root" . "name" "hooks")) -}}
{{- else -}}
{{- .Values.hooks.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
Plain (non-secret) environment of a service as a JSON object {NAME: "value"}; used by the
ConfigMap and, inline, by the migration hook Job (which runs before the ConfigMap exists).
Context: svc ctx.
*/}}
{{- define "fieldline.configEnv" -}}
{{- $p := include "fieldline.envPrefix" . -}}
{{- $env := dict (printf "%s_NATS_URL" $p) (.root.Values.nats.url | toString) -}}
{{- if eq .svc.kind "http" -}}
{{- $_ := set $env (printf "%s_HTTP_PORT" $p) (include "fieldline.appPort" .) -}}
{{- else -}}
{{- $_ := set $env (printf "%s_GRPC_PORT" $p) (include "fieldline.appPort" .) -}}
{{- end -}}
{{- $_ := set $env (printf "%s_METRICS_PORT" $p) (.svc.ports.metrics | int | toString) -}}
{{- $_ := set $env (printf "%s_LOG_LEVEL" $p) (.svc.logLevel | toString) -}}
{{- range $dep := (.svc.dependsOn | default list) -}}
{{- $host := include "fieldline.resourceName" (dict "root" $.root "name" $dep) -}}
{{- $_ := set $env (printf "%s_%s_TARGET" $p ($dep | upper | replace "-" "_")) (printf "%s:%d" $host ($.root.Values.defaults.ports.grpc | int)) -}}
{{- end -}}
{{- range $k, $v := .svc.env -}}
{{- $_ := set $env $k ($v | toString) -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/* The DSN EnvVar (secretKeyRef). Context: svc ctx plus optional secretName. */}}
{{- define "fieldline.databaseEnv" -}}
- name: {{ include "fieldline.envPrefix" . }}_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName | default (include "fieldline.dbSecretName" .) }}
      key: {{ .svc.database.secretKey | default "DATABASE_URL" }}
{{- end -}}

{{/* Writable /tmp volume for a read-only root filesystem. */}}
{{- define "fieldline.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .sizeLimit | default "64Mi" }}
{{- end -}}
