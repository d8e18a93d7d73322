{{/*
Per-service manifests. `templates/<service>.yaml` includes "fieldline.component", which
renders every named template below once for that service; fix a template here and every
service gets the fix. Each template takes the context dict described in _helpers.tpl.
*/}}

{{/* Entry point of templates/<service>.yaml. Context: dict root name. */}}
{{- define "fieldline.component" -}}
{{- if not (hasKey .root.Values.services .name) -}}
{{- fail (printf "templates/%s.yaml renders service %q but values have no services.%s block" .name .name .name) -}}
{{- end -}}
{{- $svc := include "fieldline.svcConfig" . | fromJson -}}
{{- if $svc.enabled -}}
{{- $ctx := dict "root" .root "name" .name "svc" $svc -}}
{{- include "fieldline.validate" $ctx -}}
{{- include "fieldline.serviceaccount" $ctx | nindent 0 -}}
{{- include "fieldline.configmap" $ctx | nindent 0 -}}
{{- include "fieldline.secret" $ctx | nindent 0 -}}
{{- include "fieldline.service" $ctx | nindent 0 -}}
{{- include "fieldline.deployment" $ctx | nindent 0 -}}
{{- include "fieldline.pdb" $ctx | nindent 0 -}}
{{- include "fieldline.hpa" $ctx | nindent 0 -}}
{{- include "fieldline.servicemonitor" $ctx | nindent 0 -}}
{{- include "fieldline.networkpolicy" $ctx | nindent 0 -}}
{{- include "fieldline.migrationJob" $ctx | nindent 0 -}}
{{- end -}}
{{- end -}}

{{/* Rules the schema cannot express. */}}
{{- define "fieldline.validate" -}}
{{- $svc := .svc -}}
{{- if not (has $svc.kind (list "grpc" "http")) -}}
{{- fail (printf "services.%s.kind must be grpc or http, got %v" .name $svc.kind) -}}
{{- end -}}
{{- if include "fieldline.hasDatabase" . -}}
{{- if and $svc.database.url $svc.database.existingSecret -}}
{{- fail (printf "services.%s.database: set either url or existingSecret, not both" .name) -}}
{{- end -}}
{{- end -}}
{{- if and $svc.autoscaling.enabled (gt ($svc.autoscaling.minReplicas | int) ($svc.autoscaling.maxReplicas | int)) -}}
{{- fail (printf "services.%s.autoscaling: minReplicas > maxReplicas" .name) -}}
{{- end -}}
{{- if and $svc.autoscaling.enabled (not (or $svc.autoscaling.targetCPUUtilizationPercentage $svc.autoscaling.targetMemoryUtilizationPercentage)) -}}
{{- fail (printf "services.%s.autoscaling: set a CPU or memory target" .name) -}}
{{- end -}}
{{- end -}}

{{- define "fieldline.serviceaccount" -}}
{{- if .svc.serviceAccount.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "fieldline.serviceAccountName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
  {{- with .svc.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{- define "fieldline.configmap" -}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
data:
  {{- include "fieldline.configEnv" . | fromJson | toYaml | nindent 2 }}
{{- end -}}

{{/* The DSN Secret, only when the DSN is given as a value (services.<name>.database.url). */}}
{{- define "fieldline.secret" -}}
{{- if and (include "fieldline.hasDatabase" .) .svc.database.url }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "fieldline.dbSecretName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
type: Opaque
data:
  {{ .svc.database.secretKey | default "DATABASE_URL" }}: {{ .svc.database.url | toString | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Hash of what the pods read from chart-managed ConfigMap/Secret; a change rolls the pods. */}}
{{- define "fieldline.configChecksum" -}}
{{- print (include "fieldline.configmap" .) (include "fieldline.secret" .) | sha256sum -}}
{{- end -}}

{{- define "fieldline.service" -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
  {{- with .svc.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .svc.service.type }}
  selector:
    {{- include "fieldline.selectorLabels" (dict "root" .root "component" .name) | nindent 4 }}
  ports:
    - name: {{ include "fieldline.appPortName" . }}
      port: {{ include "fieldline.appPort" . }}
      targetPort: {{ include "fieldline.appPortName" . }}
      protocol: TCP
    - name: http-metrics
      port: {{ .svc.ports.metrics | int }}
      targetPort: http-metrics
      protocol: TCP
{{- end -}}

{{/* One probe. Context: dict ctx (svc ctx) probe (startup|readiness|liveness) path (HTTP path). */}}
{{- define "fieldline.probe" -}}
{{- $p := get .ctx.svc.probes .probe -}}
{{- if eq .ctx.svc.kind "http" }}
httpGet:
  path: {{ .path }}
  port: http
{{- else }}
grpc:
  port: {{ include "fieldline.appPort" .ctx }}
{{- end }}
initialDelaySeconds: {{ $p.initialDelaySeconds | int }}
periodSeconds: {{ $p.periodSeconds | int }}
timeoutSeconds: {{ $p.timeoutSeconds | int }}
failureThreshold: {{ $p.failureThreshold | int }}
{{- end -}}

{{- define "fieldline.deployment" -}}
{{- $svc := .svc -}}
{{- $lbl := dict "root" .root "component" .name -}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" $lbl | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicaCount | int }}
  {{- end }}
  revisionHistoryLimit: {{ $svc.revisionHistoryLimit | int }}
  {{- with $svc.strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "fieldline.selectorLabels" $lbl | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "fieldline.labels" $lbl | nindent 8 }}
        {{- with $svc.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "fieldline.configChecksum" . }}
        {{- with $svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "fieldline.serviceAccountName" . }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds | int }}
      {{- with .root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $svc.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .name }}
          image: {{ include "fieldline.image" .root | quote }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          command: ["python", "-m", {{ include "fieldline.module" . | quote }}, "serve"]
          ports:
            - name: {{ include "fieldline.appPortName" . }}
              containerPort: {{ include "fieldline.appPort" . }}
              protocol: TCP
            - name: http-metrics
              containerPort: {{ $svc.ports.metrics | int }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "fieldline.resourceName" . }}
          {{- if or (include "fieldline.hasDatabase" .) $svc.extraEnv }}
          env:
            {{- if include "fieldline.hasDatabase" . }}
            {{- include "fieldline.databaseEnv" . | nindent 12 }}
            {{- end }}
            {{- with $svc.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          {{- if $svc.probes.startup.enabled }}
          startupProbe:
            {{- include "fieldline.probe" (dict "ctx" . "probe" "startup" "path" "/livez") | trim | nindent 12 }}
          {{- end }}
          {{- if $svc.probes.readiness.enabled }}
          readinessProbe:
            {{- include "fieldline.probe" (dict "ctx" . "probe" "readiness" "path" "/readyz") | trim | nindent 12 }}
          {{- end }}
          {{- if $svc.probes.liveness.enabled }}
          livenessProbe:
            {{- include "fieldline.probe" (dict "ctx" . "probe" "liveness" "path" "/livez") | trim | nindent 12 }}
          {{- end }}
          {{- if gt ($svc.preStopSleepSeconds | int) 0 }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $svc.preStopSleepSeconds | int | toString | quote }}]
          {{- end }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- toYaml $svc.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "fieldline.tmpVolume" (dict "sizeLimit" $svc.tmpSizeLimit) | nindent 8 }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- range . }}
        {{- $c := deepCopy . }}
        {{- if not (hasKey $c "labelSelector") }}
        {{- $_ := set $c "labelSelector" (dict "matchLabels" (include "fieldline.selectorLabels" $lbl | fromYaml)) }}
        {{- end }}
        - {{ toYaml $c | indent 10 | trim }}
        {{- end }}
      {{- end }}
{{- end -}}

{{/* PodDisruptionBudget: maxUnavailable unless minAvailable is set. */}}
{{- define "fieldline.pdb" -}}
{{- if .svc.pdb.enabled }}
{{- $min := .svc.pdb.minAvailable }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  {{- if and (not (kindIs "invalid" $min)) (ne (toString $min) "") }}
  minAvailable: {{ if kindIs "string" $min }}{{ $min | quote }}{{ else }}{{ $min | int }}{{ end }}
  {{- else }}
  {{- $max := .svc.pdb.maxUnavailable }}
  maxUnavailable: {{ if kindIs "string" $max }}{{ $max | quote }}{{ else }}{{ $max | int }}{{ end }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "fieldline.selectorLabels" (dict "root" .root "component" .name) | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "fieldline.hpa" -}}
{{- $a := .svc.autoscaling -}}
{{- if $a.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "fieldline.resourceName" . }}
  minReplicas: {{ $a.minReplicas | int }}
  maxReplicas: {{ $a.maxReplicas | int }}
  metrics:
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . | int }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . | int }}
    {{- end }}
{{- end }}
{{- end -}}

{{- define "fieldline.servicemonitor" -}}
{{- $sm := .root.Values.metrics.serviceMonitor -}}
{{- if $sm.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "fieldline.selectorLabels" (dict "root" .root "component" .name) | nindent 6 }}
  endpoints:
    - port: http-metrics
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
{{- end }}
{{- end -}}

{{/*
Allow rules of one service (the release-wide default-deny is in networkpolicy.yaml):
ingress to the API port from this release's pods and configured peers, to metrics from the
monitoring peers; egress to DNS, to sibling services' gRPC ports, to PostgreSQL (services
with a database) and to NATS.
*/}}
{{- define "fieldline.networkpolicy" -}}
{{- $np := .root.Values.networkPolicy -}}
{{- if $np.enabled }}
{{- $apiFrom := concat ($np.ingressFrom | default list) (.svc.networkPolicy.ingressFrom | default list) }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "fieldline.resourceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "fieldline.selectorLabels" (dict "root" .root "component" .name) | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              {{- include "fieldline.releaseSelectorLabels" .root | nindent 14 }}
        {{- with $apiFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - port: {{ include "fieldline.appPortName" . }}
          protocol: TCP
    - ports:
        - port: http-metrics
          protocol: TCP
      {{- with $np.metrics.from }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  egress:
    {{- include "fieldline.egressCommon" (dict "root" .root "postgres" (include "fieldline.hasDatabase" .)) | nindent 4 }}
    - to:
        - podSelector:
            matchLabels:
              {{- include "fieldline.releaseSelectorLabels" .root | nindent 14 }}
      ports:
        - port: grpc
          protocol: TCP
{{- end }}
{{- end -}}

{{/* Egress rules shared by services and hooks: DNS, NATS, PostgreSQL (if .postgres), extra. */}}
{{- define "fieldline.egressCommon" -}}
{{- $np := .root.Values.networkPolicy -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  {{- with $np.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    {{- toYaml $np.nats.ports | nindent 4 }}
  {{- with $np.nats.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if .postgres }}
- ports:
    {{- toYaml $np.postgres.ports | nindent 4 }}
  {{- with $np.postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}
