{{/*
Network policy pieces. Each component's file renders a networking.k8s.io/v1 NetworkPolicy or, with
networkPolicy.flavor=cilium, a cilium.io/v2 CiliumNetworkPolicy allowing the same traffic.
Call with dict "root" . "component" <name> "port" <its scraped port> and the optional allowances
"kafka" (egress to the brokers), "edgeIngress" (the ingress controller), "objectStorage", "postgres".
*/}}
{{- define "meridian.networkPolicy" -}}
{{- $root := .root -}}
{{- $np := $root.Values.networkPolicy -}}
{{- $ctx := dict "root" $root "component" .component -}}
{{- if eq $root.Values.networkPolicy.flavor "cilium" }}
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  {{- include "meridian.metadata" $ctx | nindent 2 }}
spec:
  endpointSelector:
    matchLabels:
      {{- include "meridian.selectorLabels" $ctx | nindent 6 }}
  ingress:
    - fromEndpoints:
        - matchLabels:
            k8s:io.kubernetes.pod.namespace: {{ $root.Values.networkPolicy.monitoringNamespace }}
      toPorts:
        - ports: [{port: {{ .port | quote }}, protocol: TCP}]
    {{- if .edgeIngress }}
    {{- if $root.Values.networkPolicy.edgeIngressNamespaces }}
    - fromEndpoints:
        {{- range $root.Values.networkPolicy.edgeIngressNamespaces }}
        - matchLabels:
            k8s:io.kubernetes.pod.namespace: {{ . }}
        {{- end }}
      toPorts:
        - ports: [{port: {{ .port | quote }}, protocol: TCP}]
    {{- else }}
    - fromEntities: [all]
      toPorts:
        - ports: [{port: {{ .port | quote }}, protocol: TCP}]
    {{- end }}
    {{- end }}
  egress:
    - toEndpoints:
        - matchLabels:
            k8s:io.kubernetes.pod.namespace: {{ $root.Values.networkPolicy.dns.namespace }}
            {{- range $k, $v := $root.Values.networkPolicy.dns.podLabels }}
            k8s:{{ $k }}: {{ $v }}
            {{- end }}
      toPorts:
        - ports: [{port: "53", protocol: UDP}, {port: "53", protocol: TCP}]
          rules:
            dns: [{matchPattern: "*"}]
    {{- if .kafka }}
    - toCIDR: {{ toJson $root.Values.kafka.cidrs }}
      toPorts:
        - ports:
            {{- range $root.Values.kafka.ports }}
            - {port: {{ . | quote }}, protocol: TCP}
            {{- end }}
    {{- end }}
    {{- if .objectStorage }}
    - toCIDR: {{ toJson $root.Values.networkPolicy.objectStorageCidrs }}
      toPorts:
        - ports: [{port: "443", protocol: TCP}]
    - toCIDR: {{ toJson $root.Values.networkPolicy.postgres.cidrs }}
      toPorts:
        - ports: [{port: {{ $root.Values.networkPolicy.postgres.port | quote }}, protocol: TCP}]
    {{- end }}
{{- else }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "meridian.metadata" $ctx | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- include "meridian.selectorLabels" $ctx | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $root.Values.networkPolicy.monitoringNamespace }}
      ports:
        - {port: {{ .port }}, protocol: TCP}
    {{- if .edgeIngress }}
    - ports:
        - {port: {{ .port }}, protocol: TCP}
      {{- with $root.Values.networkPolicy.edgeIngressNamespaces }}
      from:
        {{- range . }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ . }}
        {{- end }}
      {{- end }}
    {{- end }}
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $root.Values.networkPolicy.dns.namespace }}
          podSelector:
            matchLabels:
              {{- toYaml $root.Values.networkPolicy.dns.podLabels | nindent 14 }}
      ports:
        - {port: 53, protocol: UDP}
        - {port: 53, protocol: TCP}
    {{- if .kafka }}
    - to:
        {{- range $root.Values.kafka.cidrs }}
        - ipBlock: {cidr: {{ . }}}
        {{- end }}
      ports:
        {{- range $root.Values.kafka.ports }}
        - {port: {{ . }}, protocol: TCP}
        {{- end }}
    {{- end }}
    {{- if .objectStorage }}
    - to:
        {{- range $root.Values.networkPolicy.objectStorageCidrs }}
        - ipBlock: {cidr: {{ . }}}
        {{- end }}
      ports:
        - {port: 443, protocol: TCP}
    - to:
        {{- range $root.Values.networkPolicy.postgres.cidrs }}
        - ipBlock: {cidr: {{ . }}}
        {{- end }}
      ports:
        - {port: {{ $root.Values.networkPolicy.postgres.port }}, protocol: TCP}
    {{- end }}
{{- end }}
{{- end -}}
