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

{{/* Python module of a service: its `module` (the device gateway's is fieldline_gateway), else fieldline_<name with - as _>. Context: svc ctx. */}}
{{- define "fieldline.module" -}}
{{- (.svc | default dict).module | default (printf "fieldline_%s" (.name | replace "-" "_")) -}}
{{- end -}}

{{/* Environment variable prefix of a service: its `envPrefix` (the device gateway's is GATEWAY), else the upper-case name with - as _. Context: svc ctx. */}}
{{- define "fieldline.envPrefix" -}}
{{- (.svc | default dict).envPrefix | default (.name | replace "-" "_" | upper) -}}
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

{{/*
Merged configuration of one service as JSON: the top-level `auth`, `tls` and `tracing` blocks
(as the service's own), then `.Values.defaults`, then `.Values.services.<name>`.
Context: dict root name.
*/}}
{{- define "fieldline.svcConfig" -}}
{{- $raw := index .root.Values.services .name -}}
{{- $base := dict "auth" (.root.Values.auth | default dict) "tls" (.root.Values.tls | default dict) "tracing" (.root.Values.tracing | default dict) -}}
{{- $withDefaults := include "fieldline.deepMerge" (dict "dst" $base "src" .root.Values.defaults) | fromJson -}}
{{- include "fieldline.deepMerge" (dict "dst" $withDefaults "src" $raw) -}}
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
The identity and TLS variables (paths of mounted Secret files, URLs, issuers) and the tracing
ones are left out for the hook (`hook: true`): it mounts no Secret, `migrate` reads only the
DSN, and hooks are not traced. The service's own `env` comes last, so it wins.
Context: svc ctx plus optional hook.
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
{{- $target := include "fieldline.grpcTarget" (dict "root" $.root "name" $dep "balancing" $.svc.grpcClientBalancing) -}}
{{- $_ := set $env (printf "%s_%s_TARGET" $p ($dep | upper | replace "-" "_")) $target -}}
{{- end -}}
{{- if not .hook -}}
{{- range $k, $v := (include "fieldline.identity" . | fromJson).env -}}
{{- $_ := set $env $k $v -}}
{{- end -}}
{{- range $k, $v := (include "fieldline.tracingEnv" . | fromJson) -}}
{{- $_ := set $env $k $v -}}
{{- end -}}
{{- with .svc.storage -}}
{{- $s3 := .s3 | default dict -}}
{{- if $s3.enabled -}}
{{- /* photos in the bucket: no data dir (the gateway keeps nothing else on disk); the access key is the Deployment's secretKeyRef (`fieldline.s3CredentialsEnv`) */ -}}
{{- $_ := set $env (printf "%s_BLOB_URL" $p) ($s3.url | toString) -}}
{{- $_ := set $env (printf "%s_S3_REGION" $p) ($s3.region | toString) -}}
{{- with $s3.endpoint -}}
{{- $_ := set $env (printf "%s_S3_ENDPOINT" $p) (toString .) -}}
{{- end -}}
{{- else -}}
{{- $_ := set $env (printf "%s_DATA_DIR" $p) (.mountPath | toString) -}}
{{- if hasKey . "s3" -}}
{{- /* a service whose blobs may live in a bucket (the gateway's photos) keeps them under photos/ on the volume otherwise; the exchange's files are its data dir's alone */ -}}
{{- $_ := set $env (printf "%s_BLOB_URL" $p) (printf "file://%s/photos" .mountPath) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $k, $v := .svc.env -}}
{{- $_ := set $env $k ($v | toString) -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/* Name of a service's headless Service (`fieldline.headlessService`). Context: dict root name. */}}
{{- define "fieldline.headlessServiceName" -}}
{{- include "fieldline.resourceName" (dict "root" .root "name" .name "suffix" "-headless") -}}
{{- end -}}

{{/*
The gRPC target of a caller's `<SVC>_<DEP>_TARGET` for service .name, with the callee's own
gRPC port. `balancing` (the caller's grpcClientBalancing) perCall, the default:
`dns:///<fullname>-<name>-headless:<port>`, the headless Service, whose name resolves to every
ready pod, so a round_robin channel spreads its calls over them; gRPC's resolver (c-ares)
completes the short name from the pod's DNS search path, as it does the ClusterIP name's.
perConnection: `<fullname>-<name>:<port>`, the ClusterIP Service (one pod per connection).
A name that is not a gRPC service of the chart gets the ClusterIP form.
Context: dict root name balancing.
*/}}
{{- define "fieldline.grpcTarget" -}}
{{- $port := .root.Values.defaults.ports.grpc | int -}}
{{- $grpc := false -}}
{{- if hasKey .root.Values.services .name -}}
{{- $d := include "fieldline.svcConfig" (dict "root" .root "name" .name) | fromJson -}}
{{- $port = $d.ports.grpc | int -}}
{{- $grpc = eq $d.kind "grpc" -}}
{{- end -}}
{{- if and $grpc (ne (toString .balancing) "perConnection") -}}
{{- printf "dns:///%s:%d" (include "fieldline.headlessServiceName" .) $port -}}
{{- else -}}
{{- printf "%s:%d" (include "fieldline.resourceName" (dict "root" .root "name" .name)) $port -}}
{{- end -}}
{{- end -}}

{{/* The DSN EnvVar (secretKeyRef). Context: svc ctx plus optional secretName. */}}
{{- define "fieldline.databaseEnv" -}}
- name: {{ include "fieldline.envPrefix" . }}_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName | default (include "fieldline.dbSecretName" .) }}
      key: {{ .svc.database.secretKey | default "DATABASE_URL" }}
{{- end -}}

{{/*
Whether a service's photos are in an S3-compatible bucket (`storage.s3.enabled`): "true" or "".
Then it has no data volume. Context: svc ctx.
*/}}
{{- define "fieldline.photosOnS3" -}}
{{- if ((.svc.storage | default dict).s3 | default dict).enabled -}}true{{- end -}}
{{- end -}}

{{/*
The S3 access key EnvVars (secretKeyRef to `storage.s3.existingSecret`; YAML list, empty
without one: the store's own credential chain). The key never reaches values or a ConfigMap.
Context: svc ctx.
*/}}
{{- define "fieldline.s3CredentialsEnv" -}}
{{- if include "fieldline.photosOnS3" . -}}
{{- $s3 := .svc.storage.s3 -}}
{{- with $s3.existingSecret -}}
{{- $p := include "fieldline.envPrefix" $ }}
- name: {{ $p }}_S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $s3.accessKeyIdKey | default "AWS_ACCESS_KEY_ID" }}
- name: {{ $p }}_S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $s3.secretAccessKeyKey | default "AWS_SECRET_ACCESS_KEY" }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Writable /tmp volume for a read-only root filesystem. */}}
{{- define "fieldline.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .sizeLimit | default "64Mi" }}
{{- end -}}

{{/*
Identity (token verification, service tokens) and TLS of a service, as JSON:
  env      {NAME: value}: <SVC>_AUTH_JWKS/_ISSUERS/_AUDIENCE, <SVC>_SERVICE_SIGNING_KEY and
           _SERVICE_TOKEN_ISSUER (a service with serviceTokens), <SVC>_TOKEN_SIGNING_KEYS and
           _TOKEN_ISSUER (a service with deviceTokens, the device gateway, or partnerTokens, the
           exchange),
           <SVC>_TLS_CERT_FILE/_KEY_FILE/_CA_FILE (an HTTP service, whose port serves no TLS: its
           calls only, _TLS_CA_FILE; TLS off but calling a service with TLS on: _TLS_CA_FILE only,
           from that service's Secret)
  volumes  Secret volumes (key material stays in the Secrets; only paths reach the env)
  mounts   their read-only mounts, at fixed paths under /etc/fieldline
  jwksUrls the https:// JWKS locations (for the NetworkPolicy egress)
AUTH_JWKS lists the provider URLs, the files of auth.jwks.existingSecret, and the public JWKS
of every enabled service that calls this one (its dependsOn names it) and signs its own
service tokens (serviceTokens), devices' tokens (deviceTokens) or partners' tokens
(partnerTokens), each bound to its issuer
(`#iss=`: its keys sign that issuer's tokens only); that issuer joins AUTH_ISSUERS.
Context: svc ctx.
*/}}
{{- define "fieldline.identity" -}}
{{- $p := include "fieldline.envPrefix" . -}}
{{- $a := .svc.auth | default dict -}}
{{- $jwks := $a.jwks | default dict -}}
{{- $env := dict -}}
{{- $volumes := list -}}
{{- $mounts := list -}}
{{- $locations := list -}}
{{- $urls := list -}}
{{- range ($jwks.urls | default list) -}}
{{- $urls = append $urls (. | toString) -}}
{{- end -}}
{{- $locations = concat $locations $urls -}}
{{- if $jwks.existingSecret -}}
{{- $dir := "/etc/fieldline/auth/jwks" -}}
{{- $items := list -}}
{{- range ($jwks.files | default list) -}}
{{- $items = append $items (dict "key" . "path" .) -}}
{{- $locations = append $locations (printf "%s/%s" $dir .) -}}
{{- end -}}
{{- $volumes = append $volumes (dict "name" "auth-jwks" "secret" (dict "secretName" $jwks.existingSecret "items" $items "defaultMode" 292)) -}}
{{- $mounts = append $mounts (dict "name" "auth-jwks" "mountPath" $dir "readOnly" true) -}}
{{- end -}}
{{- $issuers := list -}}
{{- range ($a.issuers | default list) -}}
{{- $issuers = append $issuers (. | toString) -}}
{{- end -}}
{{- range $caller := keys .root.Values.services | sortAlpha -}}
{{- $c := include "fieldline.svcConfig" (dict "root" $.root "name" $caller) | fromJson -}}
{{- if and $c.enabled (has $.name ($c.dependsOn | default list)) -}}
{{- /* its service tokens (`services/<caller>`), then its devices' tokens (`device-tokens/<caller>`) or its partners' (`partner-tokens/<caller>`) */ -}}
{{- range $t := list (dict "tokens" $c.serviceTokens "vol" "auth-service-jwks" "dir" "services") (dict "tokens" $c.deviceTokens "vol" "auth-device-jwks" "dir" "device-tokens") (dict "tokens" $c.partnerTokens "vol" "auth-partner-jwks" "dir" "partner-tokens") -}}
{{- with $t.tokens -}}
{{- $vol := printf "%s-%s" $t.vol $caller -}}
{{- $dir := printf "/etc/fieldline/auth/%s/%s" $t.dir $caller -}}
{{- $tj := .jwks | default dict -}}
{{- $volumes = append $volumes (dict "name" $vol "secret" (dict "secretName" ($tj.existingSecret | default "") "items" (list (dict "key" ($tj.key | default "jwks.json") "path" "jwks.json")) "defaultMode" 292)) -}}
{{- $mounts = append $mounts (dict "name" $vol "mountPath" $dir "readOnly" true) -}}
{{- /* bound to the caller's issuer: its keys sign that issuer's tokens only */ -}}
{{- $locations = append $locations (printf "%s/jwks.json#iss=%s" $dir (.issuer | toString)) -}}
{{- $issuers = append $issuers (.issuer | toString) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $env (printf "%s_AUTH_JWKS" $p) (join "," $locations) -}}
{{- $_ := set $env (printf "%s_AUTH_ISSUERS" $p) (join "," (uniq $issuers)) -}}
{{- $_ := set $env (printf "%s_AUTH_AUDIENCE" $p) ($a.audience | default "fieldline" | toString) -}}
{{- with .svc.serviceTokens -}}
{{- $dir := "/etc/fieldline/auth/service-key" -}}
{{- $volumes = append $volumes (dict "name" "service-signing-key" "secret" (dict "secretName" (.existingSecret | default "") "items" (list (dict "key" (.key | default "signing-key.pem") "path" "signing-key.pem")) "defaultMode" 288)) -}}
{{- $mounts = append $mounts (dict "name" "service-signing-key" "mountPath" $dir "readOnly" true) -}}
{{- $_ := set $env (printf "%s_SERVICE_SIGNING_KEY" $p) (printf "%s/signing-key.pem" $dir) -}}
{{- $_ := set $env (printf "%s_SERVICE_TOKEN_ISSUER" $p) (.issuer | toString) -}}
{{- end -}}
{{- range $kind := list "device" "partner" -}}
{{- with (index $.svc (printf "%sTokens" $kind)) -}}
{{- /* the device gateway's device-token keys, the exchange's partner-token keys: the first signs, all verify (and are published) */ -}}
{{- $dir := printf "/etc/fieldline/auth/%s-keys" $kind -}}
{{- $items := list -}}
{{- $paths := list -}}
{{- range (.keys | default list) -}}
{{- $items = append $items (dict "key" . "path" .) -}}
{{- $paths = append $paths (printf "%s/%s" $dir .) -}}
{{- end -}}
{{- $vol := printf "%s-signing-keys" $kind -}}
{{- $volumes = append $volumes (dict "name" $vol "secret" (dict "secretName" (.existingSecret | default "") "items" $items "defaultMode" 288)) -}}
{{- $mounts = append $mounts (dict "name" $vol "mountPath" $dir "readOnly" true) -}}
{{- $_ := set $env (printf "%s_TOKEN_SIGNING_KEYS" $p) (join "," $paths) -}}
{{- $_ := set $env (printf "%s_TOKEN_ISSUER" $p) (.issuer | toString) -}}
{{- end -}}
{{- end -}}
{{- $tls := .svc.tls | default dict -}}
{{- if and $tls.enabled (eq .svc.kind "http") -}}
{{- /* An HTTP service's port serves no TLS (it ends at the Ingress): TLS is its calls', verified
against the CA of its Secret (required: without a CA file and a certificate it would call in
plaintext). */ -}}
{{- with $tls.caKey -}}
{{- $volumes = append $volumes (dict "name" "tls-ca" "secret" (dict "secretName" ($tls.existingSecret | default "") "items" (list (dict "key" . "path" "ca.crt")) "defaultMode" 292)) -}}
{{- $mounts = append $mounts (dict "name" "tls-ca" "mountPath" "/etc/fieldline/tls" "readOnly" true) -}}
{{- $_ := set $env (printf "%s_TLS_CA_FILE" $p) "/etc/fieldline/tls/ca.crt" -}}
{{- end -}}
{{- else if $tls.enabled -}}
{{- $dir := "/etc/fieldline/tls" -}}
{{- $items := list (dict "key" "tls.crt" "path" "tls.crt") (dict "key" "tls.key" "path" "tls.key") -}}
{{- $_ := set $env (printf "%s_TLS_CERT_FILE" $p) (printf "%s/tls.crt" $dir) -}}
{{- $_ := set $env (printf "%s_TLS_KEY_FILE" $p) (printf "%s/tls.key" $dir) -}}
{{- with $tls.caKey -}}
{{- $items = append $items (dict "key" . "path" "ca.crt") -}}
{{- $_ := set $env (printf "%s_TLS_CA_FILE" $p) (printf "%s/ca.crt" $dir) -}}
{{- end -}}
{{- $volumes = append $volumes (dict "name" "tls" "secret" (dict "secretName" ($tls.existingSecret | default "") "items" $items "defaultMode" 288)) -}}
{{- $mounts = append $mounts (dict "name" "tls" "mountPath" $dir "readOnly" true) -}}
{{- else -}}
{{- /* TLS off here but on in a service it calls (turning TLS on callee first): its CA only. */ -}}
{{- $ca := dict -}}
{{- range $dep := (.svc.dependsOn | default list) -}}
{{- if and (not $ca.secret) (hasKey $.root.Values.services $dep) -}}
{{- $d := include "fieldline.svcConfig" (dict "root" $.root "name" $dep) | fromJson -}}
{{- $dt := $d.tls | default dict -}}
{{- if and $d.enabled $dt.enabled $dt.existingSecret $dt.caKey -}}
{{- $ca = dict "secret" $dt.existingSecret "key" $dt.caKey -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $ca.secret -}}
{{- $volumes = append $volumes (dict "name" "tls-ca" "secret" (dict "secretName" . "items" (list (dict "key" $ca.key "path" "ca.crt")) "defaultMode" 292)) -}}
{{- $mounts = append $mounts (dict "name" "tls-ca" "mountPath" "/etc/fieldline/tls" "readOnly" true) -}}
{{- $_ := set $env (printf "%s_TLS_CA_FILE" $p) "/etc/fieldline/tls/ca.crt" -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "env" $env "volumes" $volumes "mounts" $mounts "jwksUrls" $urls) -}}
{{- end -}}

{{/*
OpenTelemetry variables of a service for its ConfigMap, as JSON {NAME: value}; {} while its
(merged) `tracing.enabled` is off. OTEL_RESOURCE_ATTRIBUTES is not among them: it names the
pod, which takes an EnvVar (`fieldline.tracingPodEnv`). Context: svc ctx.
*/}}
{{- define "fieldline.tracingEnv" -}}
{{- $t := .svc.tracing | default dict -}}
{{- $env := dict -}}
{{- if $t.enabled -}}
{{- $_ := set $env "OTEL_TRACES_EXPORTER" "otlp" -}}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" ($t.endpoint | toString) -}}
{{- if $t.insecure -}}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_INSECURE" "true" -}}
{{- end -}}
{{- $_ := set $env "OTEL_SERVICE_NAME" .name -}}
{{- with $t.sampler -}}
{{- $_ := set $env "OTEL_TRACES_SAMPLER" (toString .) -}}
{{- end -}}
{{- /* 0 is a valid ratio: test for "unset or empty", not for truth */ -}}
{{- if and (not (kindIs "invalid" $t.samplerArg)) (ne (toString $t.samplerArg) "") -}}
{{- $_ := set $env "OTEL_TRACES_SAMPLER_ARG" (toString $t.samplerArg) -}}
{{- end -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/*
The container EnvVars of tracing (YAML list; empty while tracing is off): the pod's name from
the downward API, then OTEL_RESOURCE_ATTRIBUTES, which the kubelet completes with it through
`$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)` (the OpenTelemetry Operator's name for it). Expansion
works in an EnvVar's value only, never in a ConfigMap's, hence not in `fieldline.tracingEnv`.
Attributes: service.namespace (the release's namespace), k8s.pod.name, then
`tracing.resourceAttributes` (whose keys win), sorted; values percent-encoded where the
format needs it (`%`, `,`), and `$` doubled so the kubelet leaves it alone. Left out when the
service's `env` or `extraEnv` sets OTEL_RESOURCE_ATTRIBUTES itself. Context: svc ctx.
*/}}
{{- define "fieldline.tracingPodEnv" -}}
{{- $t := .svc.tracing | default dict -}}
{{- $own := keys (.svc.env | default dict) -}}
{{- range (.svc.extraEnv | default list) -}}
{{- $own = append $own .name -}}
{{- end -}}
{{- if and $t.enabled (not (has "OTEL_RESOURCE_ATTRIBUTES" $own)) -}}
{{- $attrs := dict "service.namespace" .root.Release.Namespace -}}
{{- range $k, $v := ($t.resourceAttributes | default dict) -}}
{{- $_ := set $attrs $k (toString $v | replace "%" "%25" | replace "," "%2C" | replace "$" "$$") -}}
{{- end -}}
{{- $podName := not (hasKey $attrs "k8s.pod.name") -}}
{{- if $podName -}}
{{- $_ := set $attrs "k8s.pod.name" "$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)" -}}
{{- end -}}
{{- $pairs := list -}}
{{- range $k := keys $attrs | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $k (get $attrs $k)) -}}
{{- end -}}
{{- if $podName }}
- name: OTEL_RESOURCE_ATTRIBUTES_POD_NAME
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: metadata.name
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $pairs | quote }}
{{- end -}}
{{- end -}}
