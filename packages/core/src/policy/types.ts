/** An IAM policy document as AWS takes it (and as CloudFormation templates carry it). */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export type StringOrList = string | readonly string[];

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?:
    | '*'
    | { readonly AWS?: StringOrList; readonly Service?: StringOrList; readonly Federated?: StringOrList };
  readonly Action?: StringOrList;
  readonly NotAction?: StringOrList;
  readonly Resource?: StringOrList;
  readonly NotResource?: StringOrList;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, StringOrList | boolean>>>>;
}
