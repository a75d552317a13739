# An analytics-ready stack: orders from the stream land as Parquet (zstd), one object per shard and partition,
# partitioned by the customer's country and the order's own time, validated against orders.schema.json and stripped
# of the customer's e-mail on the way; a Glue table and an Athena workgroup are ready to query them. Feed it with
#
#   pipelinectl generate --stream "$(terraform output -raw stream_name)" --template orders --count 10000
#
# and query it in Athena (workgroup: terraform output athena), e.g.
#
#   SELECT country, hour, count(*), sum(total_cents) / 100.0 FROM orders_athena.records
#   WHERE country = 'DE' AND year = 2026 AND month = 1 AND day = 2 GROUP BY 1, 2

provider "aws" {
  region = var.region
}

module "kinesis2s3" {
  source = "../.."

  name              = var.name
  function_zip_path = var.function_zip_path

  output_mode = "batch"
  compression = "zstd"
  format      = var.format

  # The schema validates every record and defines the table's columns; the transform drops the e-mail and adds the
  # order total; the hour partition is the order's time, not the arrival's.
  schema_file    = "${path.module}/orders.schema.json"
  transform      = "del(.customer.email) | .total_cents = ([.items[] | .quantity * .unit_price] | add * 100 | round)"
  time_field     = ".created_at"
  partition_keys = "country=.customer.address.country"

  athena_bytes_scanned_cutoff = 1073741824 # 1 GiB
}
