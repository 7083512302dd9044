{{/*
Names, labels and the small pieces every template shares.
*/}}

{{- define "migration-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name alone when it already holds the chart name. */}}
{{- define "migration-webhook.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "migration-webhook.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "migration-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "migration-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "migration-webhook.labels" -}}
helm.sh/chart: {{ include "migration-webhook.chart" . }}
{{ include "migration-webhook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: migration-webhook
{{- end }}

{{- define "migration-webhook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "migration-webhook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The TLS Secret the server mounts. */}}
{{- define "migration-webhook.secretName" -}}
{{- default (printf "%s-tls" (include "migration-webhook.fullname" .)) .Values.certificates.secretName }}
{{- end }}

{{/* Name of both webhook configurations (validating and mutating share it). */}}
{{- define "migration-webhook.webhookName" -}}
{{- include "migration-webhook.fullname" . }}
{{- end }}

{{/* DNS names of the Service, as the serving certificate must carry them. */}}
{{- define "migration-webhook.serviceHosts" -}}
{{- $svc := include "migration-webhook.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/*
httpGet of a probe; pass (list $ "/healthz").  The plain-HTTP metrics port: no TLS
handshake per probe, no certificate needed.  With metricsPort 0 (no plain-HTTP
listener) the HTTPS port, which serves /healthz and /readyz too; the kubelet does
not verify the certificate of an HTTPS probe.
*/}}
{{- define "migration-webhook.probeGet" -}}
{{- $root := index . 0 -}}
httpGet:
  path: {{ index . 1 }}
  {{- if $root.Values.metricsPort }}
  port: metrics
  scheme: HTTP
  {{- else }}
  port: https
  scheme: HTTPS
  {{- end }}
{{- end }}

{{- define "migration-webhook.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "migration-webhook.certgenImage" -}}
{{- $img := .Values.certificates.certgen.image -}}
{{- if $img.repository }}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) }}
{{- else }}
{{- include "migration-webhook.image" . }}
{{- end }}
{{- end }}

{{/*
The selfSigned CA and certificate: reused from the Secret already in the cluster
(so an upgrade never rotates the CA under the webhook configurations), else made
fresh.  Returns a dict {ca, crt, key} of base64 PEM as JSON.  Call it once per
render: webhooks.yaml renders the Secret and both configurations from one call.
*/}}
{{- define "migration-webhook.selfSignedCerts" -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "migration-webhook.secretName" .) }}
{{- $certs := dict }}
{{- if and $secret $secret.data (index $secret.data "ca.crt") (index $secret.data "tls.crt") (index $secret.data "tls.key") }}
{{- $_ := set $certs "ca" (index $secret.data "ca.crt") }}
{{- $_ := set $certs "crt" (index $secret.data "tls.crt") }}
{{- $_ := set $certs "key" (index $secret.data "tls.key") }}
{{- else }}
{{- $days := int .Values.certificates.validityDays }}
{{- $ca := genCA (printf "%s-ca" (include "migration-webhook.fullname" .)) $days }}
{{- $hosts := include "migration-webhook.serviceHosts" . | fromJsonArray }}
{{- $cert := genSignedCert (index $hosts 2) nil $hosts $days $ca }}
{{- $_ := set $certs "ca" ($ca.Cert | b64enc) }}
{{- $_ := set $certs "crt" ($cert.Cert | b64enc) }}
{{- $_ := set $certs "key" ($cert.Key | b64enc) }}
{{- end }}
{{- toJson $certs }}
{{- end }}

{{/*
The caBundle of the webhook configurations in the modes other than selfSigned:
existingSecret the given value; certgen the bundle the patch Job already wrote
(kept so an upgrade does not blank it); certManager none (the cainjector fills it).
*/}}
{{- define "migration-webhook.caBundle" -}}
{{- $mode := .Values.certificates.mode -}}
{{- if eq $mode "existingSecret" }}
{{- required "certificates.existingSecret.caBundle is required when certificates.mode is existingSecret" .Values.certificates.existingSecret.caBundle }}
{{- else if eq $mode "certgen" }}
{{- $existing := lookup "admissionregistration.k8s.io/v1" "ValidatingWebhookConfiguration" "" (include "migration-webhook.webhookName" .) }}
{{- if and $existing $existing.webhooks }}
{{- (index $existing.webhooks 0).clientConfig.caBundle | default "" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Annotations of both webhook configurations. */}}
{{- define "migration-webhook.webhookAnnotations" -}}
{{- if eq .Values.certificates.mode "certManager" }}
cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "migration-webhook.secretName" .) }}
{{- end }}
{{- end }}

{{/* clientConfig of one webhook entry; pass (list $ "/validate" $caBundle). */}}
{{- define "migration-webhook.clientConfig" -}}
{{- $root := index . 0 -}}
{{- $path := index . 1 -}}
{{- $caBundle := index . 2 -}}
clientConfig:
  service:
    name: {{ include "migration-webhook.fullname" $root }}
    namespace: {{ $root.Release.Namespace }}
    path: {{ $path }}
    port: {{ $root.Values.service.port }}
  {{- with $caBundle }}
  caBundle: {{ . }}
  {{- end }}
{{- end }}

{{/*
The settings every webhook entry shares; pass (list $ "<entry key>"), the key of
the entry in webhooks.excludeNamespacesByEntry.  Namespaces are left out by name
(kube-system, the release namespace, excludeNamespaces and the entry's own list)
and by the label migration-webhook.io/ignore: "true" (a Namespace without the
label matches NotIn).
*/}}
{{- define "migration-webhook.commonWebhookSettings" -}}
{{- $root := index . 0 -}}
{{- $entry := index . 1 -}}
{{- $own := index $root.Values.webhooks.excludeNamespacesByEntry $entry | default list -}}
admissionReviewVersions: ["v1", "v1beta1"]
sideEffects: None
timeoutSeconds: {{ $root.Values.webhooks.timeoutSeconds }}
matchPolicy: Equivalent
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- range (concat (list "kube-system" $root.Release.Namespace) $root.Values.webhooks.excludeNamespaces $own | uniq) }}
        - {{ . | quote }}
        {{- end }}
    - key: {{ include "migration-webhook.ignoreLabel" $root }}
      operator: NotIn
      values: ["true"]
{{- end }}

{{/* The Namespace label that opts a namespace out of every webhook entry. */}}
{{- define "migration-webhook.ignoreLabel" -}}
migration-webhook.io/ignore
{{- end }}

{{/* The server's config file (checksummed into the pod template so a change rolls the pods). */}}
{{- define "migration-webhook.configFile" -}}
{{- $c := .Values.config -}}
listen: {{ printf "0.0.0.0:%d" (int .Values.containerPort) | quote }}
tlsCert: /certs/tls.crt
tlsKey: /certs/tls.key
{{- with $c.logLevel }}
logLevel: {{ . | quote }}
{{- end }}
rules: {{ if $c.rules }}{{ toYaml $c.rules | nindent 2 }}{{ else }}{}{{ end }}
earlyWarnings: {{ if $c.earlyWarnings }}{{ toYaml $c.earlyWarnings | nindent 2 }}{{ else }}{}{{ end }}
{{- with $c.systemMigrations }}
systemMigrations: {{ toYaml . | nindent 2 }}
{{- end }}
kubevirt:
  defaultTimeouts: {{ $c.kubevirt.defaultTimeouts }}
limits:
  maxBodyBytes: {{ int64 $c.limits.maxBodyBytes }}
timeouts:
  reviewTimeoutMarginMs: {{ int64 $c.timeouts.reviewTimeoutMarginMs }}
  drainSeconds: {{ int64 $c.timeouts.drainSeconds }}
  shutdownSeconds: {{ sub (int64 .Values.terminationGracePeriodSeconds) 5 }}
{{- end }}

{{/* Hook annotations of the certgen identity; pass (list "<weight>"). */}}
{{- define "migration-webhook.certgenHookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade,post-install,post-upgrade
helm.sh/hook-weight: {{ index . 0 | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end }}

{{/*
Labels of the pods that are not the server (certgen Jobs, the helm test Pod):
a name of their own, so the Service, the PodDisruptionBudget and the
anti-affinity never select them.  Pass (list $ "certgen").
*/}}
{{- define "migration-webhook.componentLabels" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
helm.sh/chart: {{ include "migration-webhook.chart" $root }}
app.kubernetes.io/name: {{ printf "%s-%s" (include "migration-webhook.name" $root) $component | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: migration-webhook
{{- end }}

{{/*
CEL for the VM/VMI entry: true (call the webhook) on CREATE, and on an UPDATE that changed spec or the
pod-bridge opt-in annotation.  Only has(), in and comparisons of the same paths, so it never errors on an
object without annotations (an error with failurePolicy Fail would refuse the write).
*/}}
{{- define "migration-webhook.specChangedExpression" -}}
{{- $k := "'kubevirt.io/allow-pod-bridge-network-live-migration'" -}}
{{- $new := printf "(has(object.metadata.annotations) && %s in object.metadata.annotations)" $k -}}
{{- $old := printf "(has(oldObject.metadata.annotations) && %s in oldObject.metadata.annotations)" $k -}}
request.operation != 'UPDATE' || oldObject == null || !has(object.spec) || !has(oldObject.spec) || object.spec != oldObject.spec || {{ $new }} != {{ $old }} || ({{ $new }} && {{ $old }} && object.metadata.annotations[{{ $k }}] != oldObject.metadata.annotations[{{ $k }}])
{{- end }}
