// #region readme
// crm.client.ts: your own service; here it only logs
import { Injectable } from '@nestjs/common'

@Injectable()
export class CrmClient {
  async markWon(saleId: number): Promise<void> {
    console.log(`sale ${saleId} marked as won`)
  }
}
// #endregion readme
