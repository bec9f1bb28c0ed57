{{/*
The edge's pod template, shared by its two workloads (edge-statefulset.yaml, edge-rollout.yaml); only where
the buffer volume comes from differs: a volumeClaimTemplate of the StatefulSet, or a generic ephemeral volume
for the Rollout's ReplicaSets (passed in as "bufferVolume").
*/}}
{{- define "meridian.edge.podTemplate" -}}
{{- $ctx := dict "root" .root "component" "edge" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "meridian.labels" $ctx | nindent 4 }}
  annotations:
    checksum/drain: {{ $root.Files.Get "files/edge-drain.py" | sha256sum }}
    {{- with $root.Values.edge.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- include "meridian.podCommon" $root | nindent 2 }}
  serviceAccountName: {{ include "meridian.componentName" $ctx }}
  # The preStop drain (up to edge.drain.timeoutSeconds) and the shutdown after it must fit in here.
  terminationGracePeriodSeconds: {{ $root.Values.edge.terminationGracePeriodSeconds }}
  containers:
    - name: edge
      image: {{ include "meridian.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args: [edge]
      {{- include "meridian.containerSecurityContext" $root | nindent 6 }}
      ports:
        - name: http
          containerPort: {{ $root.Values.edge.port }}
          protocol: TCP
      env:
        - name: MERIDIAN_EDGE_ID
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: MERIDIAN_EDGE_REGION
          value: {{ $root.Values.region | quote }}
        - name: MERIDIAN_EDGE_HTTP_HOST
          value: 0.0.0.0
        - name: MERIDIAN_EDGE_HTTP_PORT
          value: {{ $root.Values.edge.port | quote }}
        - name: MERIDIAN_EDGE_API_KEYS
          valueFrom:
            secretKeyRef:
              name: {{ $root.Values.edge.apiKeysSecret.name }}
              key: {{ $root.Values.edge.apiKeysSecret.key }}
        - name: MERIDIAN_EDGE_BUFFER_DIR
          value: /var/lib/meridian/edge/buffer
        - name: MERIDIAN_EDGE_BUFFER_MAX_BYTES
          value: {{ $root.Values.edge.buffer.maxBytes | int64 | quote }}
        - name: MERIDIAN_EDGE_BUFFER_FSYNC
          value: {{ $root.Values.edge.buffer.fsync | quote }}
        {{- include "meridian.kafkaEnv" $root | nindent 8 }}
        {{- with $root.Values.edge.env }}
        {{- include "meridian.extraEnv" . | nindent 8 }}
        {{- end }}
      # The buffer is recovered (its segments scanned) before the port opens: the startup probe allows for it.
      startupProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 5
        failureThreshold: 60
      livenessProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 3
      # 200 while buffering (an edge that buffers still accepts safely), 503 only when nearly full.
      readinessProbe:
        httpGet: {path: /readyz, port: http}
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 2
      lifecycle:
        preStop:
          exec:
            command:
              - python
              - /etc/meridian/edge/edge-drain.py
              - {{ $root.Values.edge.port | quote }}
              - {{ $root.Values.edge.drain.timeoutSeconds | quote }}
      resources:
        {{- toYaml $root.Values.edge.resources | nindent 8 }}
      volumeMounts:
        - name: buffer
          mountPath: /var/lib/meridian/edge
        - name: tmp
          mountPath: /tmp
        - name: drain
          mountPath: /etc/meridian/edge
          readOnly: true
  volumes:
    {{- include "meridian.tmpVolume" $root | nindent 4 }}
    - name: drain
      configMap:
        name: {{ include "meridian.componentName" $ctx }}
    {{- with .bufferVolume }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $root.Values.edge.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.edge.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.edge.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.edge.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The buffer's claim: a StatefulSet volumeClaimTemplate, or the spec of the Rollout's ephemeral volume. */}}
{{- define "meridian.edge.bufferClaimSpec" -}}
accessModes: [ReadWriteOnce]
{{- with .Values.edge.buffer.storageClassName }}
storageClassName: {{ . }}
{{- end }}
resources:
  requests:
    storage: {{ .Values.edge.buffer.size }}
{{- end -}}
