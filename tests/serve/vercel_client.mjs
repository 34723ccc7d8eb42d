// The AI SDK reads a drusilla stream: DefaultChatTransport posts the chat, readUIMessageStream
// rebuilds the assistant's message. Prints {"message": UIMessage, "chunks": [types]} as JSON.
//   node vercel_client.mjs URL "user text" [--abort-on-tool]
// --abort-on-tool: hang up once a tool call has arrived (the disconnect test), print "aborted".
import { DefaultChatTransport, readUIMessageStream } from "ai";

const [url, text, flag] = process.argv.slice(2);
const abort = new AbortController();
const transport = new DefaultChatTransport({ api: url });
const chunks = await transport.sendMessages({
  chatId: "chat-1",
  messages: [{ id: "u1", role: "user", parts: [{ type: "text", text }] }],
  abortSignal: abort.signal,
  trigger: "submit-message",
  messageId: undefined,
});
const types = [];
const [forMessage, forTypes] = chunks.tee();
const reading = (async () => {
  for await (const chunk of forTypes) {
    types.push(chunk.type === "error" ? `error: ${chunk.errorText}` : chunk.type);
    if (flag === "--abort-on-tool" && chunk.type === "tool-input-available") {
      abort.abort();
      console.log("aborted");
      process.exit(0);
    }
  }
})();
let message;
for await (const snapshot of readUIMessageStream({ stream: forMessage })) {
  message = snapshot;
}
await reading;
console.log(JSON.stringify({ message, chunks: types }));
