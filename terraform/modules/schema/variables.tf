variable "schema_file" {
  description = "Path of the function's JSON Schema document, or null (no schema)."
  type        = string
  default     = null
}
