// Shows that moto's threaded server does not apply a conditional PutItem atomically: several clients race for a fresh
// lease item each round with the lease's exact condition, and a round where more than one PutItem succeeded is a
// double grant (DynamoDB never gives one). Evidence for "Lease guarantees" in the README; not part of the test suite.
//
//   ../../.venv/bin/moto_server -H 127.0.0.1 -p 5977 &
//   node bench/moto-lease-race.mjs http://127.0.0.1:5977 300 2   # endpoint, rounds, racing clients
//   kill %1
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const [endpoint = 'http://127.0.0.1:5977', roundsArgument = '300', clientsArgument = '2'] = process.argv.slice(2);
const rounds = Number(roundsArgument);
const table = `lease-race-${process.pid}`;
const clients = Array.from(
  { length: Number(clientsArgument) },
  () => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
);
await clients[0].send(
  new CreateTableCommand({
    TableName: table,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }),
);

const nowMs = Date.now();
let doubleGrants = 0;
for (let round = 0; round < rounds; round += 1) {
  const granted = await Promise.all(
    clients.map((client, index) =>
      client
        .send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: `scaling-lease#group-${round}` },
              owner: { S: `container-${index}` },
              expiresAtMs: { N: String(nowMs + 30_000) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
            ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
          }),
        )
        .then(
          () => true,
          (error) => {
            if (error.name !== 'ConditionalCheckFailedException') throw error;
            return false;
          },
        ),
    ),
  );
  if (granted.filter(Boolean).length > 1) doubleGrants += 1;
}
console.log(JSON.stringify({ rounds, clients: clients.length, roundsWithMoreThanOneGrant: doubleGrants }));
