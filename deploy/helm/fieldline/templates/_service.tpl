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
{{- include "fieldline.headlessService" $ctx | nindent 0 -}}
{{- include "fieldline.pvc" $ctx | nindent 0 -}}
{{- include "fieldline.deployment" $ctx | nindent 0 -}}
{{- include "fieldline.ingress" $ctx | nindent 0 -}}
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
{{- range $dep := ($svc.dependsOn | default list) -}}
{{- $d := dict -}}
{{- if hasKey $.root.Values.services $dep -}}
{{- $d = include "fieldline.svcConfig" (dict "root" $.root "name" $dep) | fromJson -}}
{{- end -}}
{{- if not $d.enabled -}}
{{- fail (printf "services.%s calls %s (dependsOn), which is not enabled: enable services.%s, or disable services.%s" $.name $dep $dep $.name) -}}
{{- end -}}
{{- end -}}
{{- include "fieldline.validateIdentity" . -}}
{{- include "fieldline.validateTracing" . -}}
{{- include "fieldline.validateStorage" . -}}
{{- $ing := $svc.ingress | default dict -}}
{{- if $ing.enabled -}}
{{- if ne $svc.kind "http" -}}
{{- fail (printf "services.%s.ingress: an Ingress routes HTTP; %s is kind %s" .name .name $svc.kind) -}}
{{- end -}}
{{- if not $ing.hosts -}}
{{- fail (printf "services.%s.ingress.enabled needs ingress.hosts (the host names devices use, e.g. [devices.example.com])" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Storage of a service's files (the device gateway's photos; the exchange's uploads and 1C
sessions' chunks): an emptyDir per pod, or a PersistentVolumeClaim, or, for the gateway's
photos only, an S3-compatible bucket (`storage.s3`). Several pods must share it (one pod writes
a photo's first chunk, another the next, a third serves it; one exchange pod receives a file,
another imports it): more than one
pod (replicaCount, or an HPA's maxReplicas) needs a bucket, a ReadWriteMany claim, or an
existingClaim (whose access modes the chart cannot see: shared storage is the operator's
promise). A claim without ReadWriteMany is attached to one node at a time, so its one pod must
stop before the next starts (strategy Recreate), or a rolling update waits forever on the
attachment. With a bucket there is no volume, so a claim as well would hold nothing: refused.
The schema checks the block as written; this checks it merged (defaults, then the service).
*/}}
{{- define "fieldline.validateStorage" -}}
{{- $svc := .svc -}}
{{- with $svc.storage -}}
{{- $pvc := .persistentVolumeClaim | default dict -}}
{{- $s3 := .s3 | default dict -}}
{{- if $s3.enabled -}}
{{- $p := include "fieldline.envPrefix" $ -}}
{{- if not $s3.url -}}
{{- fail (printf "services.%s.storage.s3.enabled needs storage.s3.url, s3://bucket[/prefix] (%s_BLOB_URL); see docs/operations/helm.md, \"Photos in an S3-compatible bucket\"" $.name $p) -}}
{{- end -}}
{{- if not $s3.region -}}
{{- fail (printf "services.%s.storage.s3.enabled needs storage.s3.region, the bucket's region (%s_S3_REGION; MinIO's is usually us-east-1)" $.name $p) -}}
{{- end -}}
{{- if and $s3.existingSecret (not (and $s3.accessKeyIdKey $s3.secretAccessKeyKey)) -}}
{{- fail (printf "services.%s.storage.s3.existingSecret needs both storage.s3.accessKeyIdKey and storage.s3.secretAccessKeyKey (the access key id and its secret: both or neither)" $.name) -}}
{{- end -}}
{{- if ne (include "fieldline.module" $) "fieldline_gateway" -}}
{{- fail (printf "services.%s.storage.s3: only the device gateway keeps its files in a bucket (its photos); %s reads its files as a local file system: give it a volume (storage.persistentVolumeClaim)" $.name $.name) -}}
{{- end -}}
{{- if $pvc.enabled -}}
{{- fail (printf "services.%s: storage.s3.enabled keeps the photos in the bucket and mounts no volume, so storage.persistentVolumeClaim would hold nothing: set storage.persistentVolumeClaim.enabled false (a claim the chart made is kept on the cluster: copy its photos/ to the bucket first; docs/operations/helm.md, \"Photos in an S3-compatible bucket\")" $.name) -}}
{{- end -}}
{{- else -}}
{{- $pods := $svc.replicaCount | int -}}
{{- $how := printf "replicaCount %d" $pods -}}
{{- if $svc.autoscaling.enabled -}}
{{- $pods = $svc.autoscaling.maxReplicas | int -}}
{{- $how = printf "autoscaling.maxReplicas %d" $pods -}}
{{- end -}}
{{- $rwx := has "ReadWriteMany" ($pvc.accessModes | default list) -}}
{{- $shared := and $pvc.enabled (or $pvc.existingClaim $rwx) -}}
{{- if and (gt $pods 1) (not $shared) -}}
{{- $bucket := ternary (printf "Put them in an S3-compatible bucket (services.%s.storage.s3), or set" $.name) "Set" (hasKey . "s3") -}}
{{- fail (printf "services.%s: %s, but its files are on %s: several pods need shared storage. %s services.%s.storage.persistentVolumeClaim.enabled with accessModes [ReadWriteMany] (NFS, CephFS, EFS, Filestore...) or an existingClaim on shared storage, or run one pod (replicaCount 1, no autoscaling); see docs/operations/helm.md" $.name $how (ternary "a claim without ReadWriteMany" "a per-pod emptyDir" (eq (toString $pvc.enabled) "true")) $bucket $.name) -}}
{{- end -}}
{{- if and $pvc.enabled (not $pvc.existingClaim) (not $rwx) (ne (toString ($svc.strategy | default dict).type) "Recreate") -}}
{{- fail (printf "services.%s.storage.persistentVolumeClaim: accessModes %v attach the volume to one node at a time; set services.%s.strategy: {type: Recreate} (the old pod stops before the new one starts), or use ReadWriteMany" $.name $pvc.accessModes $.name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Auth is required: every enabled service needs a token-key source and issuers once the
top-level `auth` block and the service's overrides are merged. The schema checks the
top-level block; this also catches an override that empties it. A service with
`serviceTokens` needs its key and public JWKS Secrets; TLS needs its Secret. A service with TLS
never calls one without (it never calls in plaintext); a service without TLS may call one with
TLS (turning TLS on callee first): it then gets that service's CA (`fieldline.identity`).
*/}}
{{- define "fieldline.validateIdentity" -}}
{{- $svc := .svc -}}
{{- $a := $svc.auth | default dict -}}
{{- $jwks := $a.jwks | default dict -}}
{{- $missing := list -}}
{{- if not (or $jwks.urls $jwks.existingSecret) -}}
{{- $missing = append $missing "a token-key source: auth.jwks.urls (https:// JWKS URL of the OpenID provider) and/or auth.jwks.existingSecret (a Secret with JWKS files)" -}}
{{- end -}}
{{- if and $jwks.existingSecret (not $jwks.files) -}}
{{- $missing = append $missing "auth.jwks.files (the keys of auth.jwks.existingSecret to read)" -}}
{{- end -}}
{{- if not $a.issuers -}}
{{- $missing = append $missing "auth.issuers (the accepted iss values)" -}}
{{- end -}}
{{- if not $a.audience -}}
{{- $missing = append $missing "auth.audience" -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "services.%s: auth is required (every RPC needs a verified bearer token); missing %s. Set them under auth (every service) or services.%s.auth; see docs/operations/helm.md, \"Identity and TLS\"" .name (join "; " $missing) .name) -}}
{{- end -}}
{{- with $svc.serviceTokens -}}
{{- $p := include "fieldline.envPrefix" $ -}}
{{- $m := list -}}
{{- if not .existingSecret -}}
{{- $m = append $m (printf "services.%s.serviceTokens.existingSecret (a Secret with the PEM private key of %s_SERVICE_SIGNING_KEY; there is no default key)" $.name $p) -}}
{{- end -}}
{{- if not .key -}}
{{- $m = append $m (printf "services.%s.serviceTokens.key" $.name) -}}
{{- end -}}
{{- if not .issuer -}}
{{- $m = append $m (printf "services.%s.serviceTokens.issuer" $.name) -}}
{{- end -}}
{{- $j := .jwks | default dict -}}
{{- if not $j.existingSecret -}}
{{- $m = append $m (printf "services.%s.serviceTokens.jwks.existingSecret (a Secret with its public JWKS: python -m %s service-jwks KEY.pem)" $.name (include "fieldline.module" $)) -}}
{{- end -}}
{{- if not $j.key -}}
{{- $m = append $m (printf "services.%s.serviceTokens.jwks.key" $.name) -}}
{{- end -}}
{{- if $m -}}
{{- fail (printf "services.%s signs its own service tokens and needs %s" $.name (join "; " $m)) -}}
{{- end -}}
{{- end -}}
{{- /* the keys it signs others' tokens with: the gateway's devices', the exchange's partners' */ -}}
{{- range $kind := list "deviceTokens" "partnerTokens" -}}
{{- $whose := ternary "devices'" "partners'" (eq $kind "deviceTokens") -}}
{{- with (index $svc $kind) -}}
{{- $p := include "fieldline.envPrefix" $ -}}
{{- $m := list -}}
{{- if not .existingSecret -}}
{{- $m = append $m (printf "services.%s.%s.existingSecret (a Secret with the PEM private keys of %s_TOKEN_SIGNING_KEYS; there is no default key)" $.name $kind $p) -}}
{{- end -}}
{{- if not .keys -}}
{{- $m = append $m (printf "services.%s.%s.keys (the keys of that Secret; the first signs)" $.name $kind) -}}
{{- end -}}
{{- if not .issuer -}}
{{- $m = append $m (printf "services.%s.%s.issuer" $.name $kind) -}}
{{- end -}}
{{- $j := .jwks | default dict -}}
{{- if not $j.existingSecret -}}
{{- $m = append $m (printf "services.%s.%s.jwks.existingSecret (a Secret with their public JWKS: python -m %s jwks KEY.pem...)" $.name $kind (include "fieldline.module" $)) -}}
{{- end -}}
{{- if not $j.key -}}
{{- $m = append $m (printf "services.%s.%s.jwks.key" $.name $kind) -}}
{{- end -}}
{{- if $m -}}
{{- fail (printf "services.%s signs %s tokens and needs %s" $.name $whose (join "; " $m)) -}}
{{- end -}}
{{- if has (.issuer | toString) ($a.issuers | default list) -}}
{{- fail (printf "services.%s: auth.issuers must not name %s.issuer %s: %s checks its own %s tokens against its own keys only (it refuses to start otherwise); remove it from auth.issuers (or services.%s.auth.issuers)" $.name $kind .issuer $.name $whose $.name) -}}
{{- end -}}
{{- if and $svc.serviceTokens (eq (toString .issuer) (toString $svc.serviceTokens.issuer)) -}}
{{- fail (printf "services.%s: %s.issuer and serviceTokens.issuer are both %s: each key must be bound to its own issuer (a key of %s tokens must not sign service tokens)" $.name $kind .issuer $whose) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $tls := $svc.tls | default dict -}}
{{- if and $tls.enabled (not $tls.existingSecret) -}}
{{- fail (printf "services.%s: tls.enabled needs tls.existingSecret (a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt)" .name) -}}
{{- end -}}
{{- if and $tls.enabled (eq $svc.kind "http") (not $tls.caKey) -}}
{{- fail (printf "services.%s (kind http): tls.enabled with an empty tls.caKey: its HTTP port serves no TLS (TLS ends at the Ingress), so TLS is its calls to the services, verified against tls.caKey of tls.existingSecret; set it" .name) -}}
{{- end -}}
{{- $caSources := list -}}
{{- $withTls := list -}}
{{- $withoutTls := list -}}
{{- range $dep := ($svc.dependsOn | default list) -}}
{{- if hasKey $.root.Values.services $dep -}}
{{- $d := include "fieldline.svcConfig" (dict "root" $.root "name" $dep) | fromJson -}}
{{- $depTls := $d.tls | default dict -}}
{{- if $d.enabled -}}
{{- if $depTls.enabled -}}
{{- $withTls = append $withTls $dep -}}
{{- else -}}
{{- $withoutTls = append $withoutTls $dep -}}
{{- end -}}
{{- end -}}
{{- if and $d.enabled $tls.enabled (not $depTls.enabled) -}}
{{- fail (printf "services.%s (TLS on) calls %s (TLS off): a service serving TLS never calls in plaintext; turn TLS on for %s first (callee first)" $.name $dep $dep) -}}
{{- end -}}
{{- if and $d.enabled (not $tls.enabled) $depTls.enabled -}}
{{- if not $depTls.caKey -}}
{{- fail (printf "services.%s (TLS off) calls %s (TLS on), whose tls.caKey is empty: %s needs that CA to call it over TLS" $.name $dep $.name) -}}
{{- end -}}
{{- $caSources = append $caSources (printf "%s/%s" $depTls.existingSecret $depTls.caKey) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (not $tls.enabled) $withTls $withoutTls -}}
{{- fail (printf "services.%s (TLS off) calls %s (TLS on) and %s (TLS off): a service's calls use TLS all or none (one CA setting for every channel); turn TLS on for %s too (with the device gateway: TLS on for clients, orders and settlements in one step; docs/operations/helm.md, \"Create the Secrets\")" .name (join ", " $withTls) (join ", " $withoutTls) (join ", " $withoutTls)) -}}
{{- end -}}
{{- if gt (len (uniq $caSources)) 1 -}}
{{- fail (printf "services.%s (TLS off) calls services whose TLS CAs come from different Secrets (%s): turn TLS on for %s too" .name (join ", " (uniq $caSources)) .name) -}}
{{- end -}}
{{- end -}}

{{/*
Tracing, once the top-level `tracing` block and the service's overrides are merged: the
schema checks the top-level block; this also catches an override that turns tracing on for
one service without an endpoint. An `https://` endpoint is always TLS for the exporter, so
`insecure` with it would be ignored: refused instead.
*/}}
{{- define "fieldline.validateTracing" -}}
{{- $t := .svc.tracing | default dict -}}
{{- if $t.enabled -}}
{{- if not $t.endpoint -}}
{{- fail (printf "services.%s: tracing.enabled needs tracing.endpoint, the OTLP/gRPC endpoint of the collector with its port (e.g. http://otel-collector.observability:4317); set it under tracing (every service) or services.%s.tracing; see docs/operations/helm.md, \"Tracing\"" .name .name) -}}
{{- end -}}
{{- if and $t.insecure (hasPrefix "https://" (toString $t.endpoint)) -}}
{{- fail (printf "services.%s: tracing.insecure with the https:// endpoint %s: https is always TLS; use http:// (or host:port with insecure) for plaintext, or drop insecure" .name $t.endpoint) -}}
{{- end -}}
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

{{/*
Headless Service of a gRPC service (`<fullname>-<name>-headless`): no cluster IP, so its DNS
name resolves to every ready pod's address (not-ready ones are left out:
publishNotReadyAddresses false), and a caller's round_robin channel to
`dns:///<name>:<port>` spreads its calls over them (`fieldline.grpcTarget`), where the
ClusterIP Service balances connections only. Every enabled gRPC service gets one, called by
a service of the chart or not: any in-cluster caller may spread its calls the same way. The
gRPC port only: the ServiceMonitor, which selects it too, finds no `http-metrics` port on it
and scrapes through the ClusterIP Service alone.
*/}}
{{- define "fieldline.headlessService" -}}
{{- if eq .svc.kind "grpc" }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "fieldline.headlessServiceName" . }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  type: ClusterIP
  clusterIP: None
  publishNotReadyAddresses: false
  selector:
    {{- include "fieldline.selectorLabels" (dict "root" .root "component" .name) | nindent 4 }}
  ports:
    - name: grpc
      port: {{ include "fieldline.appPort" . }}
      targetPort: grpc
      protocol: TCP
{{- end }}
{{- end -}}

{{/*
One probe. Context: dict ctx (svc ctx) probe (startup|readiness|liveness) path (HTTP path).
A gRPC service gets the kubelet's grpc probe, or with TLS on (which that probe cannot speak)
an exec probe running the kit's health check (`fieldline.healthCheckCommand`): the same
grpc.health.v1 status over TLS. An HTTP service gets httpGet over plain HTTP, TLS or not:
its port never serves TLS (the kit's HTTP server has none; TLS ends at the Ingress).
*/}}
{{- define "fieldline.probe" -}}
{{- $p := get .ctx.svc.probes .probe -}}
{{- $tls := .ctx.svc.tls | default dict -}}
{{- if eq .ctx.svc.kind "http" }}
httpGet:
  path: {{ .path }}
  port: http
{{- else if $tls.enabled }}
exec:
  command: {{ include "fieldline.healthCheckCommand" (dict "ctx" .ctx "timeoutSeconds" $p.timeoutSeconds) }}
{{- else }}
grpc:
  port: {{ include "fieldline.appPort" .ctx }}
{{- end }}
initialDelaySeconds: {{ $p.initialDelaySeconds | int }}
periodSeconds: {{ $p.periodSeconds | int }}
timeoutSeconds: {{ $p.timeoutSeconds | int }}
failureThreshold: {{ $p.failureThreshold | int }}
{{- end -}}

{{/*
The exec probe's command (JSON list) of a gRPC service with TLS:
`python -m fieldline_kit.grpc.health_check` asks 127.0.0.1's grpc.health.v1 for the overall
status over TLS, verified with the service's own `<SVC>_TLS_CA_FILE` (else the system's roots)
for the name `<fullname>-<name>` (its Service's, which its certificate holds), within the
probe's timeoutSeconds less 1 s (0.5 s for a timeout of 1 s) for the process to start.
Context: dict ctx (svc ctx) timeoutSeconds.
*/}}
{{- define "fieldline.healthCheckCommand" -}}
{{- $timeout := sub (.timeoutSeconds | int) 1 -}}
{{- list "python" "-m" "fieldline_kit.grpc.health_check"
      "--prefix" (include "fieldline.envPrefix" .ctx)
      "--port" (include "fieldline.appPort" .ctx)
      "--authority" (include "fieldline.resourceName" .ctx)
      "--timeout" (ternary "0.5" (toString $timeout) (lt $timeout 1))
    | toJson -}}
{{- end -}}

{{- define "fieldline.deployment" -}}
{{- $svc := .svc -}}
{{- $lbl := dict "root" .root "component" .name -}}
{{- $id := include "fieldline.identity" . | fromJson -}}
{{- $tracingEnv := include "fieldline.tracingPodEnv" . | trim -}}
{{- $s3Env := include "fieldline.s3CredentialsEnv" . | trim -}}
{{- /* the files' volume, unless the photos are in a bucket */ -}}
{{- $data := and $svc.storage (not (include "fieldline.photosOnS3" .)) -}}
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
    {{- if eq (toString .type) "Recreate" }}
    {{- /* the defaults' rollingUpdate, merged in, is invalid with Recreate */}}
    type: Recreate
    {{- else }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
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
          {{- if or (include "fieldline.hasDatabase" .) $s3Env $tracingEnv $svc.extraEnv }}
          env:
            {{- if include "fieldline.hasDatabase" . }}
            {{- include "fieldline.databaseEnv" . | nindent 12 }}
            {{- end }}
            {{- with $s3Env }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $tracingEnv }}
            {{- . | nindent 12 }}
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
            {{- if $data }}
            - name: data
              mountPath: {{ $svc.storage.mountPath }}
            {{- end }}
            {{- with $id.mounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "fieldline.tmpVolume" (dict "sizeLimit" $svc.tmpSizeLimit) | nindent 8 }}
        {{- if $data }}
        {{- with $svc.storage }}
        {{- $pvc := .persistentVolumeClaim | default dict }}
        - name: data
          {{- if $pvc.enabled }}
          persistentVolumeClaim:
            claimName: {{ $pvc.existingClaim | default (include "fieldline.resourceName" (dict "root" $.root "name" $.name "suffix" "-data")) }}
          {{- else }}
          emptyDir:
            sizeLimit: {{ (.emptyDir | default dict).sizeLimit | default "1Gi" }}
          {{- end }}
        {{- end }}
        {{- end }}
        {{- with $id.volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
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

{{/*
The PersistentVolumeClaim of a service's files (`storage.persistentVolumeClaim`, unless it
names an existingClaim): `<fullname>-<name>-data`, kept when the release is uninstalled
(`helm.sh/resource-policy: keep`: it holds the devices' photos); delete it by hand.
*/}}
{{- define "fieldline.pvc" -}}
{{- $pvc := (.svc.storage | default dict).persistentVolumeClaim | default dict -}}
{{- if and $pvc.enabled (not $pvc.existingClaim) (not (include "fieldline.photosOnS3" .)) }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "fieldline.resourceName" (dict "root" .root "name" .name "suffix" "-data") }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
    {{- with $pvc.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  accessModes:
    {{- toYaml $pvc.accessModes | nindent 4 }}
  {{- with $pvc.storageClassName }}
  storageClassName: {{ . | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ $pvc.size | quote }}
{{- end }}
{{- end -}}

{{/* Ingress to an HTTP service's port (`ingress.enabled`; the device gateway's door). */}}
{{- define "fieldline.ingress" -}}
{{- $ing := .svc.ingress | default dict -}}
{{- if $ing.enabled }}
{{- $name := include "fieldline.resourceName" . }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $name }}
  labels:
    {{- include "fieldline.labels" (dict "root" .root "component" .name) | nindent 4 }}
  {{- with $ing.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $ing.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $ing.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    {{- range $ing.hosts }}
    - host: {{ . | quote }}
      http:
        paths:
          - path: {{ $ing.path | default "/" }}
            pathType: {{ $ing.pathType | default "Prefix" }}
            backend:
              service:
                name: {{ $name }}
                port:
                  name: {{ include "fieldline.appPortName" $ }}
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
ingress to the API port from this release's pods and configured peers (from anywhere with
`networkPolicy.ingressFromAnywhere`: the device gateway's default), to metrics from the
monitoring peers; egress to DNS, to sibling services' gRPC ports, to PostgreSQL (services
with a database), to NATS, when its keys come from JWKS URLs, to the OpenID provider on
the URLs' ports (443 unless a URL names one), with tracing on, to the collector on the
endpoint's port and, with photos in a bucket (`storage.s3`), to the S3 store on its
endpoint's port (the one it names, else 80 for http://, 443 for https:// and AWS).
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
    {{- if .svc.networkPolicy.ingressFromAnywhere }}
    - ports:
    {{- else }}
    - from:
        - podSelector:
            matchLabels:
              {{- include "fieldline.releaseSelectorLabels" .root | nindent 14 }}
        {{- with $apiFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
    {{- end }}
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
    {{- $urls := (include "fieldline.identity" . | fromJson).jwksUrls }}
    {{- if $urls }}
    {{- $ports := list }}
    {{- range $urls }}
    {{- $ports = append $ports (regexFind ":[0-9]+$" (urlParse .).host | trimPrefix ":" | default "443" | int) }}
    {{- end }}
    - ports:
        {{- range uniq $ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      {{- with ($np.jwks | default dict).to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- $tracing := .svc.tracing | default dict }}
    {{- if $tracing.enabled }}
    {{- /* the endpoint's port: the schema requires one (gRPC would dial 443 without) */}}
    - ports:
        - port: {{ regexReplaceAll "^.*:([0-9]+)/?$" (toString $tracing.endpoint) "${1}" | int }}
          protocol: TCP
      {{- with ($np.tracing | default dict).to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- if include "fieldline.photosOnS3" . }}
    {{- $endpoint := .svc.storage.s3.endpoint | default "" | toString }}
    {{- $port := 443 }}
    {{- if $endpoint }}
    {{- $port = regexFind ":[0-9]+$" (urlParse $endpoint).host | trimPrefix ":" | default (ternary "80" "443" (hasPrefix "http://" $endpoint)) | int }}
    {{- end }}
    - ports:
        - port: {{ $port }}
          protocol: TCP
      {{- with ($np.s3 | default dict).to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
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
