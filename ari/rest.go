package ari

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/CyCoreSystems/ari/v5"
)

// redirect is POST /channels/{id}/redirect, which ari/v5 v5.3.1 lacks.
func redirect(t *Transport, channelID, endpoint string) error {
	ctx, cancel := t.detached()
	defer cancel()
	return t.raw(ctx, http.MethodPost, "/channels/"+url.PathEscape(channelID)+"/redirect",
		url.Values{"endpoint": {endpoint}})
}

// raw sends one ARI request with query parameters; a non-2xx answer is an
// error carrying the status.
func (t *Transport) raw(ctx context.Context, method, path string, q url.Values) error {
	u := t.cfg.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(t.cfg.Username, t.cfg.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return &statusError{code: resp.StatusCode, body: string(body)}
	}
	return nil
}

type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.code, e.body) }
func (e *statusError) Code() int     { return e.code }

// channelJSON is the part of the ARI Channel model that ari/v5's
// ChannelData drops: the dialplan application and its data, which tell a
// restarted Switchboard the Stasis() arguments.
type channelJSON struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Caller struct {
		Name   string `json:"name"`
		Number string `json:"number"`
	} `json:"caller"`
	Dialplan struct {
		Context string `json:"context"`
		Exten   string `json:"exten"`
		AppName string `json:"app_name"`
		AppData string `json:"app_data"`
	} `json:"dialplan"`
}

func (ch channelJSON) data() ari.ChannelData {
	return ari.ChannelData{ID: ch.ID, State: ch.State,
		Caller:   &ari.CallerID{Name: ch.Caller.Name, Number: ch.Caller.Number},
		Dialplan: &ari.DialplanCEP{Context: ch.Dialplan.Context, Exten: ch.Dialplan.Exten}}
}

// getJSON is a GET whose body is decoded into v.
func (t *Transport) getJSON(ctx context.Context, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.cfg.URL+path, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(t.cfg.Username, t.cfg.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &RequestError{Op: "get " + path, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &RequestError{Op: "get " + path, Status: resp.StatusCode, Err: &statusError{code: resp.StatusCode}}
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
