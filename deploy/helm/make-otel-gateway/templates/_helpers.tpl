{{/* Full name: the release name when it already contains the chart name, else release-chart. */}}
{{- define "mog.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mog.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ include "mog.fullname" . }}
{{- end -}}

{{- define "mog.labels" -}}
{{ include "mog.selectorLabels" . }}
{{- end -}}

{{/* resources.limits.memory in MiB (Mi or Gi only), for memory_limiter. */}}
{{- define "mog.memoryLimitMiB" -}}
{{- $m := toString .Values.resources.limits.memory -}}
{{- if hasSuffix "Gi" $m -}}
{{- mul (trimSuffix "Gi" $m | int) 1024 -}}
{{- else if hasSuffix "Mi" $m -}}
{{- trimSuffix "Mi" $m | int -}}
{{- else -}}
{{- fail "resources.limits.memory must be written in Mi or Gi (memory_limiter is derived from it)" -}}
{{- end -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: preStop sleep + the gateway's shutdown grace + margin. */}}
{{- define "mog.terminationGrace" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.gracePeriodSeconds .Values.shutdown.marginSeconds -}}
{{- end -}}
