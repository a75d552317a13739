package awsfake

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// SQS limits and defaults, from the SQS API reference.
const (
	defaultVisibility = 30 * time.Second // a new queue's VisibilityTimeout, used when a receive sets none
	maxVisibility     = 12 * time.Hour
	maxReceive        = 10 // MaxNumberOfMessages: 1–10, 1 when not set
)

// Queue is an in-memory SQS standard queue: messages with IDs, a receipt handle per receive, and visibility
// timeouts. Messages are received in the order they were sent (SQS only tries to). It is safe for concurrent
// use.
//
// Its Log gets "send <id>", "receive" (each ReceiveMessage served), "visibility <id> <seconds>" and
// "delete <id>".
type Queue struct {
	// Log receives the calls served; NewQueue gives the queue its own.
	Log *Log
	// Faults fail "SendMessage", "ReceiveMessage", "ChangeMessageVisibility", "DeleteMessage" and
	// "GetQueueAttributes" calls on purpose.
	Faults

	mu   sync.Mutex
	url  string
	msgs []*message
	sent int
}

type message struct {
	id, body, receipt  string
	sent, firstReceive time.Time
	visibleAt          time.Time // in flight until then
	receives           int
}

// Message is a message on the queue, as a test sees it.
type Message struct {
	ID, Body string
	Visible  bool // receivable now: never received, or its visibility timeout has ended
	Receives int
}

// NewQueue returns an empty queue with the given URL.
func NewQueue(url string) *Queue {
	return &Queue{
		Log:    &Log{},
		Faults: newFaults("SendMessage", "ReceiveMessage", "ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes"),
		url:    url,
	}
}

// Send puts a message on the queue, as a producer would, and returns its ID; unlike SendMessage it bypasses
// faults and the log.
func (q *Queue) Send(body string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.add(body)
}

func (q *Queue) add(body string) string {
	q.sent++
	m := &message{id: fmt.Sprintf("msg-%03d", q.sent), body: body, sent: time.Now()}
	q.msgs = append(q.msgs, m)
	return m.id
}

// Messages returns the messages still on the queue (not deleted), in the order they were sent.
func (q *Queue) Messages() []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	out := make([]Message, 0, len(q.msgs))
	for _, m := range q.msgs {
		out = append(out, Message{ID: m.id, Body: m.body, Visible: !m.visibleAt.After(now), Receives: m.receives})
	}
	return out
}

// serve starts a call of op on the queue at url: it fails with an injected fault or when url is not the queue's.
func (q *Queue) serve(op string, url *string) error {
	if err := q.take(op); err != nil {
		return err
	}
	if aws.ToString(url) != q.url {
		return &types.QueueDoesNotExist{Message: aws.String("The specified queue does not exist: " + aws.ToString(url))}
	}
	return nil
}

// SendMessage puts a message on the queue.
func (q *Queue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.serve("SendMessage", in.QueueUrl); err != nil {
		return nil, err
	}
	switch {
	case aws.ToString(in.MessageBody) == "":
		return nil, invalidParameter("MessageBody must not be empty")
	case in.DelaySeconds != 0 || in.MessageGroupId != nil || len(in.MessageAttributes) > 0:
		return nil, invalidParameter("awsfake: delays, message groups and message attributes are not modelled")
	}
	id := q.add(*in.MessageBody)
	q.Log.Add("send " + id)
	sum := md5.Sum([]byte(*in.MessageBody))
	return &sqs.SendMessageOutput{MessageId: aws.String(id), MD5OfMessageBody: aws.String(hex.EncodeToString(sum[:]))}, nil
}

// ReceiveMessage returns up to MaxNumberOfMessages visible messages, each with a new receipt handle, and hides
// them for the visibility timeout. It returns at once: long polling is not modelled.
func (q *Queue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.serve("ReceiveMessage", in.QueueUrl); err != nil {
		return nil, err
	}
	n := int(in.MaxNumberOfMessages)
	if n == 0 {
		n = 1
	}
	if n < 1 || n > maxReceive {
		return nil, invalidParameter(fmt.Sprintf("MaxNumberOfMessages %d is outside 1–%d", n, maxReceive))
	}
	vis := defaultVisibility
	if in.VisibilityTimeout != 0 {
		v, err := visibility(in.VisibilityTimeout)
		if err != nil {
			return nil, err
		}
		vis = v
	}
	q.Log.Add("receive")
	now := time.Now()
	out := &sqs.ReceiveMessageOutput{Messages: []types.Message{}}
	for _, m := range q.msgs {
		if len(out.Messages) == n {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		m.receives++
		if m.receives == 1 {
			m.firstReceive = now
		}
		m.receipt = fmt.Sprintf("%s-r%d", m.id, m.receives)
		m.visibleAt = now.Add(vis)
		out.Messages = append(out.Messages, types.Message{
			MessageId: aws.String(m.id), Body: aws.String(m.body), ReceiptHandle: aws.String(m.receipt),
			Attributes: m.attributes(in.MessageSystemAttributeNames),
		})
	}
	return out, nil
}

// attributes returns the system attributes a receive asked for, of those modelled.
func (m *message) attributes(names []types.MessageSystemAttributeName) map[string]string {
	all := map[types.MessageSystemAttributeName]string{
		types.MessageSystemAttributeNameApproximateReceiveCount:          strconv.Itoa(m.receives),
		types.MessageSystemAttributeNameSentTimestamp:                    strconv.FormatInt(m.sent.UnixMilli(), 10),
		types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp: strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
	}
	out := map[string]string{}
	for name, v := range all {
		if slices.Contains(names, name) || slices.Contains(names, types.MessageSystemAttributeNameAll) {
			out[string(name)] = v
		}
	}
	return out
}

func visibility(seconds int32) (time.Duration, error) {
	d := time.Duration(seconds) * time.Second
	if d < 0 || d > maxVisibility {
		return 0, invalidParameter(fmt.Sprintf("VisibilityTimeout %d is outside 0–%d seconds", seconds, int(maxVisibility/time.Second)))
	}
	return d, nil
}

// inFlight finds a message by its receipt handle. Only the newest handle of a message is valid: AWS says to use
// the most recent one, and does not promise what an older one does.
func (q *Queue) inFlight(receipt *string) (*message, int, error) {
	for i, m := range q.msgs {
		if m.receipt != "" && m.receipt == aws.ToString(receipt) {
			return m, i, nil
		}
	}
	return nil, -1, &types.ReceiptHandleIsInvalid{Message: aws.String("The receipt handle is not valid: " + aws.ToString(receipt))}
}

// ChangeMessageVisibility hides a message that is in flight for another timeout, counted from now; 0 makes it
// visible at once.
func (q *Queue) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.serve("ChangeMessageVisibility", in.QueueUrl); err != nil {
		return nil, err
	}
	m, _, err := q.inFlight(in.ReceiptHandle)
	if err != nil {
		return nil, err
	}
	vis, err := visibility(in.VisibilityTimeout)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if !m.visibleAt.After(now) {
		return nil, &types.MessageNotInflight{Message: aws.String("The message " + m.id + " is not in flight")}
	}
	q.Log.Add(fmt.Sprintf("visibility %s %d", m.id, in.VisibilityTimeout))
	m.visibleAt = now.Add(vis)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// DeleteMessage deletes a received message.
func (q *Queue) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.serve("DeleteMessage", in.QueueUrl); err != nil {
		return nil, err
	}
	m, i, err := q.inFlight(in.ReceiptHandle)
	if err != nil {
		return nil, err
	}
	q.Log.Add("delete " + m.id)
	q.msgs = slices.Delete(q.msgs, i, i+1)
	return &sqs.DeleteMessageOutput{}, nil
}

// GetQueueAttributes returns the modelled attributes asked for: ApproximateNumberOfMessages (visible),
// ApproximateNumberOfMessagesNotVisible (in flight) and VisibilityTimeout, or all three for "All".
func (q *Queue) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.serve("GetQueueAttributes", in.QueueUrl); err != nil {
		return nil, err
	}
	visible, now := 0, time.Now()
	for _, m := range q.msgs {
		if !m.visibleAt.After(now) {
			visible++
		}
	}
	all := map[types.QueueAttributeName]string{
		types.QueueAttributeNameApproximateNumberOfMessages:           strconv.Itoa(visible),
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible: strconv.Itoa(len(q.msgs) - visible),
		types.QueueAttributeNameVisibilityTimeout:                     strconv.Itoa(int(defaultVisibility / time.Second)),
	}
	out := map[string]string{}
	for _, name := range in.AttributeNames {
		if name == types.QueueAttributeNameAll {
			for k, v := range all {
				out[string(k)] = v
			}
			continue
		}
		v, ok := all[name]
		if !ok {
			return nil, &types.InvalidAttributeName{Message: aws.String("awsfake: attribute " + string(name) + " is not modelled")}
		}
		out[string(name)] = v
	}
	return &sqs.GetQueueAttributesOutput{Attributes: out}, nil
}

func invalidParameter(msg string) error {
	return &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: msg, Fault: smithy.FaultClient}
}
