// @ag-ui/client's HttpAgent runs a drusilla agent and collects what it sees.
//   node ag_ui_client.mjs URL "user text" [--tool] [--state JSON] [--abort-on-tool]
// --tool offers the front-end tool change_background(color); when the run ends on a call to
// it, the script answers it (as a front-end would) and runs the agent again.
// Prints {"events": [types], "messages": [...], "state": ..., "runs": n} as JSON.
import { HttpAgent } from "@ag-ui/client";

const [url, text, ...flags] = process.argv.slice(2);
const stateFlag = flags.indexOf("--state");
const agent = new HttpAgent({
  url,
  threadId: "thread-1",
  initialMessages: [{ id: "u1", role: "user", content: text }],
  initialState: stateFlag >= 0 ? JSON.parse(flags[stateFlag + 1]) : undefined,
});
const tools = flags.includes("--tool")
  ? [
      {
        name: "change_background",
        description: "Change the page's background colour.",
        parameters: {
          type: "object",
          properties: { color: { type: "string" } },
          required: ["color"],
        },
      },
    ]
  : [];
const events = [];
const subscriber = {
  onEvent({ event }) {
    events.push(event.type === "RUN_ERROR" ? `RUN_ERROR: ${event.message}` : event.type);
    if (flags.includes("--abort-on-tool") && event.type === "TOOL_CALL_END") {
      agent.abortRun();
      console.log("aborted");
      process.exit(0);
    }
  },
};
let runs = 0;
async function run() {
  runs += 1;
  try {
    await agent.runAgent({ tools }, subscriber);
  } catch (error) {
    events.push(`thrown: ${error.message}`);
  }
}
await run();
const last = agent.messages[agent.messages.length - 1];
const call = last?.role === "assistant" ? last.toolCalls?.[0] : undefined;
if (call && call.function.name === "change_background") {
  const { color } = JSON.parse(call.function.arguments);
  agent.messages.push({ id: "t1", role: "tool", toolCallId: call.id, content: `background is ${color}` });
  await run();
}
console.log(JSON.stringify({ events, messages: agent.messages, state: agent.state, runs }));
