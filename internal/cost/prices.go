package cost

// Prices are AWS list prices in US dollars. Every one is a flag of `pipelinectl cost`: check them against the
// pricing pages for your region and date.
type Prices struct {
	LambdaPerMillionRequests  float64 // Lambda requests
	LambdaPerGBSecond         float64 // Lambda duration, arm64, first 7.5 billion GB-s a month
	S3PerThousandPuts         float64 // S3 Standard PUT, COPY, POST, LIST
	S3PerGBMonth              float64 // S3 Standard storage, first 50 TB
	KinesisStreamHour         float64 // on-demand (Standard): per stream-hour
	KinesisODPerGBIn          float64 // on-demand: data in, each record rounded up to 1 KB
	KinesisODPerGBOut         float64 // on-demand: data out (shared-throughput consumers such as Lambda)
	KinesisODRetentionGBMonth float64 // on-demand: retention beyond 24 hours, up to 7 days
	KinesisShardHour          float64 // provisioned: per shard-hour
	KinesisPerMillionPUTUnits float64 // provisioned: per million 25 KB PUT payload units
	KinesisRetentionShardHour float64 // provisioned: retention beyond 24 hours, up to 7 days
	FirehosePerGB             float64 // Firehose Direct PUT ingestion, first 500 TB, each record rounded up to 5 KB
}

// PricesAsOf is when DefaultPrices were read, and where.
const PricesAsOf = "us-east-1 list prices as of 2026-11-29 (sources in internal/cost/prices.go)"

// DefaultPrices are us-east-1 prices as published (they could not be read from AWS's pricing pages on the machine
// that wrote them; each was found in a public source and agrees with the others that cite it):
//   - Lambda: $0.20 per million requests; arm64 $0.0000133334 per GB-s (cloudchipr.com, "AWS Lambda Pricing
//     Breakdown", 2024).
//   - S3 Standard: $0.005 per 1,000 PUT requests; $0.023 per GB-month for the first 50 TB (AWS Price List API
//     figures retrieved 2025-10-28, as quoted in public cost analyses).
//   - Kinesis Data Streams: on-demand $0.04 per stream-hour, $0.08 per GB in (records rounded up to 1 KB, AWS's
//     pricing page), $0.04 per GB out; provisioned $0.015 per shard-hour, $0.014 per million PUT payload units of
//     25 KB (Trek10, "Kinesis Data Streams On-demand vs. Provisioned", 2023-09-21, us-east-1); retention beyond
//     24 hours $0.02 per shard-hour provisioned, $0.10 per GB-month on demand (Infracost's published estimates).
//     On-demand Advantage (an account-wide mode since November 2025) prices data at least 60% lower, without the
//     stream-hour: pass its prices to see it.
//   - Firehose: $0.029 per GB for the first 500 TB a month, each record rounded up to 5 KB (the rounding from
//     AWS's pricing page; the price from public notes that quote it).
var DefaultPrices = Prices{
	LambdaPerMillionRequests:  0.20,
	LambdaPerGBSecond:         0.0000133334,
	S3PerThousandPuts:         0.005,
	S3PerGBMonth:              0.023,
	KinesisStreamHour:         0.04,
	KinesisODPerGBIn:          0.08,
	KinesisODPerGBOut:         0.04,
	KinesisODRetentionGBMonth: 0.10,
	KinesisShardHour:          0.015,
	KinesisPerMillionPUTUnits: 0.014,
	KinesisRetentionShardHour: 0.02,
	FirehosePerGB:             0.029,
}
