{{/*
mm2.properties for this region, as streaming/kafka/mirror.py writes it locally: every region's cluster is
named, only the <peer>-><this region> flows run (consume remotely, produce locally), topics by exact name.
*/}}
{{- define "meridian.mirrormaker.properties" -}}
{{- $target := .Values.region -}}
{{- $factor := .Values.mirrormaker.replicationFactor | toString -}}
{{- $clusters := list $target -}}
{{- range $alias, $_ := .Values.kafka.regionBootstrapServers }}{{ if ne $alias $target }}{{ $clusters = append $clusters $alias }}{{ end }}{{ end -}}
clusters = {{ join ", " $clusters }}
{{ $target }}.bootstrap.servers = {{ .Values.kafka.bootstrapServers }}
{{- range $alias, $servers := .Values.kafka.regionBootstrapServers }}
{{- if ne $alias $target }}
{{ $alias }}.bootstrap.servers = {{ $servers }}
{{- end }}
{{- end }}
{{- range $alias, $_ := .Values.kafka.regionBootstrapServers }}
{{- if ne $alias $target }}
{{ $alias }}->{{ $target }}.enabled = true
{{ $alias }}->{{ $target }}.topics = {{ $.Values.kafka.eventsTopic | replace "." "\\." }}
{{- end }}
{{- end }}
replication.factor = {{ $factor }}
checkpoints.topic.replication.factor = {{ $factor }}
heartbeats.topic.replication.factor = {{ $factor }}
offset-syncs.topic.replication.factor = {{ $factor }}
offset.storage.replication.factor = {{ $factor }}
status.storage.replication.factor = {{ $factor }}
config.storage.replication.factor = {{ $factor }}
refresh.topics.interval.seconds = {{ .Values.mirrormaker.refreshSeconds }}
refresh.groups.interval.seconds = {{ .Values.mirrormaker.refreshSeconds }}
sync.topic.configs.enabled = true
emit.heartbeats.interval.seconds = 1
emit.checkpoints.interval.seconds = 5
offset.flush.interval.ms = 1000
security.protocol = {{ .Values.kafka.securityProtocol }}
{{- if .Values.kafka.sasl.mechanism }}
# The password comes from the environment (a Secret), never from this file.
config.providers = env
config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider
sasl.mechanism = {{ .Values.kafka.sasl.mechanism }}
sasl.jaas.config = {{ ternary "org.apache.kafka.common.security.plain.PlainLoginModule" "org.apache.kafka.common.security.scram.ScramLoginModule" (eq .Values.kafka.sasl.mechanism "PLAIN") }} required username="{{ .Values.kafka.sasl.username }}" password="${env:MERIDIAN_KAFKA_SASL_PASSWORD}";
{{- end }}
{{- range $key, $value := .Values.mirrormaker.extraProperties }}
{{ $key }} = {{ $value }}
{{- end }}
{{- end -}}
