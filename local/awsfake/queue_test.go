package awsfake

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

const testURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq"

func receive(t *testing.T, q *Queue, max, visibility int32) []types.Message {
	t.Helper()
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(testURL), MaxNumberOfMessages: max,
		VisibilityTimeout: visibility, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func setVisibility(q *Queue, receipt *string, seconds int32) error {
	_, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(testURL), ReceiptHandle: receipt, VisibilityTimeout: seconds})
	return err
}

func TestSendAndReceive(t *testing.T) {
	q := NewQueue(testURL)
	out, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(testURL), MessageBody: aws.String("hello")})
	if err != nil || *out.MD5OfMessageBody != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("SendMessage = %+v, %v", out, err)
	}
	second := q.Send("world")
	if got := q.Log.Calls(); !slices.Equal(got, []string{"send " + *out.MessageId}) {
		t.Errorf("log %v: Send is the test's hand, not a call", got)
	}

	if got := receive(t, q, 0, 0); len(got) != 1 || *got[0].Body != "hello" || got[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("a receive without MaxNumberOfMessages takes 1: %+v", got)
	}
	if got := receive(t, q, 10, 5); len(got) != 1 || *got[0].MessageId != second {
		t.Fatalf("the first message is hidden for the default 30 s: %+v", got)
	}
	if got := receive(t, q, 10, 5); len(got) != 0 {
		t.Fatalf("both are in flight: %+v", got)
	}
	msgs := q.Messages()
	if len(msgs) != 2 || msgs[0].Visible || msgs[1].Receives != 1 {
		t.Errorf("messages %+v", msgs)
	}
	for _, bad := range []*sqs.ReceiveMessageInput{
		{QueueUrl: aws.String(testURL), MaxNumberOfMessages: 11},
		{QueueUrl: aws.String(testURL), MaxNumberOfMessages: 1, VisibilityTimeout: 43201},
	} {
		var api smithy.APIError
		if _, err := q.ReceiveMessage(ctx, bad); !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
			t.Errorf("receive %+v: %v", bad, err)
		}
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(testURL + "x"), MessageBody: aws.String("x")}); !isErr[*types.QueueDoesNotExist](err) {
		t.Errorf("another queue: %v", err)
	}
}

func TestVisibilityAndReceiptHandles(t *testing.T) {
	q := NewQueue(testURL)
	id := q.Send("m")
	first := receive(t, q, 1, 60)[0]
	if err := setVisibility(q, first.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	if err := setVisibility(q, first.ReceiptHandle, 30); !isErr[*types.MessageNotInflight](err) {
		t.Errorf("extending a message made visible: %v", err)
	}
	again := receive(t, q, 1, 1)[0]
	if *again.ReceiptHandle == *first.ReceiptHandle || again.Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("second receive %+v", again)
	}
	_, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(testURL), ReceiptHandle: first.ReceiptHandle})
	if !isErr[*types.ReceiptHandleIsInvalid](err) {
		t.Errorf("delete with the older receipt handle: %v", err)
	}
	if err := setVisibility(q, again.ReceiptHandle, 43201); err == nil {
		t.Error("a visibility timeout over 12 hours was accepted")
	}
	time.Sleep(1100 * time.Millisecond) // the 1 s visibility timeout ends
	if msgs := q.Messages(); !msgs[0].Visible {
		t.Errorf("visible %+v after its timeout", msgs)
	}
	third := receive(t, q, 1, 60)[0]
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(testURL), ReceiptHandle: third.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if len(q.Messages()) != 0 {
		t.Errorf("messages after delete: %+v", q.Messages())
	}
	want := []string{"receive", "visibility " + id + " 0", "receive", "receive", "delete " + id}
	if got := q.Log.Calls(); !slices.Equal(got, want) {
		t.Errorf("log %v\nwant %v", got, want)
	}
}

func TestQueueAttributesAndFaults(t *testing.T) {
	q := NewQueue(testURL)
	q.Send("a")
	q.Send("b")
	q.Send("c")
	receive(t, q, 1, 60)
	attrs := func(names ...types.QueueAttributeName) (map[string]string, error) {
		out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(testURL), AttributeNames: names})
		if err != nil {
			return nil, err
		}
		return out.Attributes, nil
	}
	got, err := attrs(types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	if err != nil || got["ApproximateNumberOfMessages"] != "2" || got["ApproximateNumberOfMessagesNotVisible"] != "1" || len(got) != 2 {
		t.Errorf("attributes %v, %v", got, err)
	}
	if all, _ := attrs(types.QueueAttributeNameAll); len(all) != 3 {
		t.Errorf("All gives %v", all)
	}
	if _, err := attrs(types.QueueAttributeNameDelaySeconds); !isErr[*types.InvalidAttributeName](err) {
		t.Errorf("an attribute not modelled: %v", err)
	}

	denied := errors.New("AccessDenied")
	q.FailNext("SendMessage", denied, nil)
	q.FailAlways("ReceiveMessage", denied)
	send := func() error {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(testURL), MessageBody: aws.String("x")})
		return err
	}
	if err1, err2, err3 := send(), send(), send(); err1 != denied || err2 != nil || err3 != nil {
		t.Errorf("sends: %v, %v, %v", err1, err2, err3)
	}
	for range 2 {
		if _, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(testURL)}); err != denied {
			t.Errorf("receive: %v", err)
		}
	}
	q.FailAlways("ReceiveMessage", nil)
	if len(receive(t, q, 10, 60)) != 4 {
		t.Error("receives fail after FailAlways(nil)")
	}
}
