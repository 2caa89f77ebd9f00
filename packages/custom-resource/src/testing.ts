export { captureProcessOutput } from './capture-process-output';
export { type LogEntry, RecordingLogger } from './recording-logger';
export { type RecordedAnswer, type ResponseRecorder, startResponseRecorder } from './response-recorder';
export { customResourceEvent } from './sample-events';
