{{/*
Pre-install/pre-upgrade hook Jobs. Hooks run before the release's regular resources exist
on first install, so a hook never reads the chart's ConfigMaps, Secrets or per-service
ServiceAccounts: its env is inline, a DSN given as a value goes into a hook Secret, and it
runs under the hook ServiceAccount (itself a hook). Order by weight: ServiceAccount (-30),
DSN Secrets (-20), NATS topology (-10), migrations (0). Successful Jobs are deleted; a failed
Job stays for `kubectl logs` until the next install/upgrade.
*/}}

{{- define "fieldline.hookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ .deletePolicy | default "before-hook-creation,hook-succeeded" }}
{{- end -}}

{{/* Labels of hook pods: a component of their own (never a service's selector) + fieldline.io/hook. */}}
{{- define "fieldline.hookLabels" -}}
{{ include "fieldline.labels" . }}
fieldline.io/hook: "true"
{{- end -}}

{{/*
A hook Job. Context: dict root name (Job name suffix base) component weight command
env (YAML list of EnvVar, may be empty).
*/}}
{{- define "fieldline.hookJob" -}}
{{- $root := .root -}}
{{- $h := $root.Values.hooks -}}
{{- $d := $root.Values.defaults -}}
{{- $lbl := dict "root" $root "component" .component -}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "fieldline.resourceName" (dict "root" $root "name" .component) }}
  labels:
    {{- include "fieldline.hookLabels" $lbl | nindent 4 }}
  annotations:
    {{- include "fieldline.hookAnnotations" (dict "weight" .weight) | nindent 4 }}
spec:
  backoffLimit: {{ $h.backoffLimit | int }}
  activeDeadlineSeconds: {{ $h.activeDeadlineSeconds | int }}
  template:
    metadata:
      labels:
        {{- include "fieldline.hookLabels" $lbl | nindent 8 }}
      {{- with $h.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "fieldline.hooksServiceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $d.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "fieldline.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            {{- toYaml .command | nindent 12 }}
          {{- with .env }}
          env:
            {{- . | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $h.resources | nindent 12 }}
          securityContext:
            {{- toYaml $d.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "fieldline.tmpVolume" (dict "sizeLimit" $d.tmpSizeLimit) | nindent 8 }}
      {{- with $h.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $h.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/*
`python -m fieldline_<svc> migrate` for a service with a database. Same env as the service
(inline) plus the DSN, without the identity and TLS settings (no Secret volume in a hook);
when the DSN is a value, from a hook copy of the Secret.
Context: svc ctx.
*/}}
{{- define "fieldline.migrationJob" -}}
{{- if and (include "fieldline.hasDatabase" .) .svc.migrations.enabled }}
{{- $secretName := "" }}
{{- if .svc.database.url }}
{{- $secretName = include "fieldline.resourceName" (dict "root" .root "name" .name "suffix" "-migrate") }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $secretName }}
  labels:
    {{- include "fieldline.hookLabels" (dict "root" .root "component" (printf "%s-migrate" .name)) | nindent 4 }}
  annotations:
    {{- include "fieldline.hookAnnotations" (dict "weight" "-20") | nindent 4 }}
type: Opaque
data:
  {{ .svc.database.secretKey | default "DATABASE_URL" }}: {{ .svc.database.url | toString | b64enc | quote }}
{{- end }}
{{- $cfg := include "fieldline.configEnv" (dict "root" .root "name" .name "svc" .svc "hook" true) | fromJson }}
{{- $env := list }}
{{- range $k := keys $cfg | sortAlpha }}
{{- $env = append $env (dict "name" $k "value" (get $cfg $k)) }}
{{- end }}
{{- $envYaml := print (toYaml $env) "\n" (include "fieldline.databaseEnv" (dict "root" .root "name" .name "svc" .svc "secretName" $secretName)) }}
{{- with .svc.extraEnv }}
{{- $envYaml = print $envYaml "\n" (toYaml .) }}
{{- end }}
{{- include "fieldline.hookJob" (dict "root" .root "component" (printf "%s-migrate" .name) "weight" "0" "command" (list "python" "-m" (include "fieldline.module" .) "migrate") "env" $envYaml) | nindent 0 }}
{{- end }}
{{- end -}}
