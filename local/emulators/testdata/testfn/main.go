// Command testfn is a Lambda function for the harness's own tests: the event says how to behave, so the tests
// can see what the RIE reports for each way an invocation ends.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Do      string `json:"do"`      // ok, error, panic, exit or sleep
	SleepMs int    `json:"sleepMs"` // for sleep
}

type response struct {
	Pid          int    `json:"pid"`
	FunctionName string `json:"functionName"`
	MemoryMB     int    `json:"memoryMB"`
	ARN          string `json:"arn"`
	DeadlineMs   int64  `json:"deadlineMs"` // time left at the start of the invocation
	Env          string `json:"env"`        // the value of TESTFN_ENV
}

func main() {
	if msg := os.Getenv("TESTFN_INIT_ERROR"); msg != "" {
		os.Stderr.WriteString(msg + "\n")
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, e event) (response, error) {
		deadline, _ := ctx.Deadline()
		lc, _ := lambdacontext.FromContext(ctx)
		res := response{
			Pid:          os.Getpid(),
			FunctionName: lambdacontext.FunctionName,
			MemoryMB:     lambdacontext.MemoryLimitInMB,
			DeadlineMs:   time.Until(deadline).Milliseconds(),
			Env:          os.Getenv("TESTFN_ENV"),
		}
		if lc != nil {
			res.ARN = lc.InvokedFunctionArn
		}
		switch e.Do {
		case "error":
			return res, errors.New("testfn: asked to fail")
		case "panic":
			panic("testfn: asked to panic")
		case "exit":
			os.Exit(3)
		case "sleep":
			time.Sleep(time.Duration(e.SleepMs) * time.Millisecond)
		}
		return res, nil
	})
}
