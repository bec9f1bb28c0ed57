{{/*
Names, labels and the pod pieces every component shares. Helpers take the root context (`.`) or a dict with
"root" and "component"; values are always read by their full .Values path, so tests can tell each one is used.
*/}}

{{- define "meridian.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's prefix: "meridian" for a release named meridian, so the edge's Service (and its
Prometheus job) is meridian-edge, as locally. */}}
{{- define "meridian.fullname" -}}
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

{{/* <fullname>-<component>, e.g. meridian-edge. */}}
{{- define "meridian.componentName" -}}
{{- printf "%s-%s" (include "meridian.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meridian.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meridian.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "meridian.labels" -}}
{{ include "meridian.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: meridian
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
meridian.io/region: {{ .root.Values.region | quote }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata for a component's object: name, namespace (never "default" implicitly), labels. */}}
{{- define "meridian.metadata" -}}
name: {{ include "meridian.componentName" . }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "meridian.labels" . | nindent 2 }}
{{- end -}}

{{/* repository@digest when a digest is given, else repository:tag. Takes an image dict. */}}
{{- define "meridian.imageRef" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}
{{- end -}}

{{- define "meridian.image" -}}
{{- include "meridian.imageRef" .Values.image -}}
{{- end -}}

{{/* The pod spec fields every component shares. */}}
{{- define "meridian.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "meridian.containerSecurityContext" -}}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{- define "meridian.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* Kafka's settings as every Meridian client reads them (streaming/kafka/settings.py). */}}
{{- define "meridian.kafkaEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: MERIDIAN_EVENTS_TOPIC
  value: {{ .Values.kafka.eventsTopic | quote }}
- name: MERIDIAN_EVENTS_TOPIC_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: MERIDIAN_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
{{- if .Values.kafka.regionBootstrapServers }}
- name: MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS
  value: {{ toJson .Values.kafka.regionBootstrapServers | quote }}
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: MERIDIAN_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: MERIDIAN_KAFKA_SASL_USERNAME
  value: {{ .Values.kafka.sasl.username | quote }}
- name: MERIDIAN_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.passwordSecret.name }}
      key: {{ .Values.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- end -}}

{{/* Extra environment from a name: value map. */}}
{{- define "meridian.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/*
A workload's inline checkov skips, each with its reason; call with dict "root" . "envSecrets" <bool> "image" <dict>.
- CKV_K8S_35 prefers secrets mounted as files. The Meridian settings classes read their secrets
  (MERIDIAN_EDGE_API_KEYS, MERIDIAN_KAFKA_SASL_PASSWORD, MERIDIAN_DAGSTER_POSTGRES_URL) from the environment as
  SecretStr and never log them; the values come from Secrets by secretKeyRef, never from the chart.
- CKV_K8S_43 asks for an image digest. Only when none is given (a review or test render): the release pipeline
  sets image.digest per region (README.md, Security), and then the check runs.
*/}}
{{- define "meridian.checkovSkips" -}}
{{- $skips := list -}}
{{- if .envSecrets -}}
{{- $skips = append $skips "CKV_K8S_35=the settings read secrets from env (pydantic SecretStr, never logged), set by secretKeyRef" -}}
{{- end -}}
{{- if not .image.digest -}}
{{- $skips = append $skips "CKV_K8S_43=no image digest in these values: the release pipeline sets image.digest per region" -}}
{{- end -}}
{{- range $i, $skip := $skips }}
checkov.io/skip{{ add1 $i }}: {{ $skip | quote }}
{{- end }}
{{- end -}}

{{/* metadata.annotations of a workload: its checkov skips, if any. */}}
{{- define "meridian.workloadAnnotations" -}}
{{- $skips := include "meridian.checkovSkips" . | trim -}}
{{- if $skips -}}
annotations:
  {{- $skips | nindent 2 }}
{{- end }}
{{- end -}}
